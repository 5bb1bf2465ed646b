"""Timeloop driver (run by the interpreter that has timeloopfe, never imported by graphs):
``python timeloop_driver.py OUT_DIR SPEC.yaml...``.

Current Timeloop releases read v4 specifications only through the timeloopfe front end (calling
``timeloop-mapper arch.yaml prob.yaml mapper.yaml`` directly fails with "'nodes' found as a sub-key
... use the timeloopfe front-end"). The driver parses the YAML files graphs wrote into one
``Specification`` and calls the mapper, which writes ``timeloop-mapper.stats.txt`` (and
``parsed-processed-input.yaml``, what timeloopfe handed to Timeloop) into OUT_DIR.
"""

import sys


def frontend():
    try:
        import pytimeloop.timeloopfe.v4 as tl          # timeloop-python (current)
    except ImportError:
        import timeloopfe.v4 as tl                     # the standalone timeloopfe package
    return tl


def main(argv):
    out_dir, files = argv[1], argv[2:]
    tl = frontend()
    spec = tl.Specification.from_yaml_files(*files)
    tl.call_mapper(spec, output_dir=out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
