"""Memory fit (weights + peak activations vs main memory): Llama-2-7B fits an H100 80GB and does
not fit a Jetson Orin Nano 8GB, through the same CLI a user runs."""

import csv
import io

from graphs.testing import run_cli


def test_llama2_7b_fits_h100_but_not_jetson_orin_nano():
    r = run_cli("analyze", "llama2-7b", "--hardware", "h100,jetson-orin-nano-8gb", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = {row["hardware"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    h100, nano = rows["h100"], rows["jetson-orin-nano-8gb"]
    assert h100["fits"] == "True" and nano["fits"] == "False"
    # fp32 weights alone (6.7 B parameters x 4 B = 27 GB) exceed the Nano's 8 GB and not the H100's 80 GB
    weights = float(h100["parameter_bytes"])
    assert 8e9 < weights < 80e9
