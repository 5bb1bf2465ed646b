"""Generate the TFLite test fixtures with a real converter (TensorFlow's TFLiteConverter).

Dev-only: needs ``tensorflow-cpu`` (not a runtime or test dependency of graphs). Run it in
a separate virtual environment, e.g.::

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tfvenv/bin/python frontends_tflite/scripts/make_tflite_fixtures.py [--out tests/fixtures/tflite]

For each model it writes ``<name>_float32.tflite``, ``<name>_int8.tflite`` (full-integer
post-training quantization, representative dataset of seeded random inputs) and
``<name>.json``: an independent count taken from the Keras model definition (matrix FLOPs
per layer from the layer configs and output shapes, parameter counts), which the tests
compare with what the graphs TFLite frontend reads from the flatbuffers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

SEED = 1234
BATCH = 1


# --- models ----------------------------------------------------------------------------------
def mobilenet_v2() -> keras.Model:
    """Keras' MobileNetV2 at width 0.35, 96×96 input, 10 classes (random weights)."""
    return keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10,
                                          classifier_activation=None)


def _round_filters(c: float, width: float, divisor: int = 8) -> int:
    c *= width
    new = max(divisor, int(c + divisor / 2) // divisor * divisor)
    if new < 0.9 * c:
        new += divisor
    return int(new)


def efficientnet_lite0_like(width: float = 0.25) -> keras.Model:
    """EfficientNet-Lite0's layout (MBConv, ReLU6, no squeeze-excite, fixed stem) at width 0.25, head 320."""
    blocks = [  # expand, kernel, stride, filters_in, filters_out, repeats (EfficientNet-B0/Lite0)
        (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
        (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
    ]
    inp = keras.Input((96, 96, 3), batch_size=BATCH, name="image")
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inp)  # lite: fixed stem
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu6")(x)
    for bi, (expand, k, stride, _f_in, f_out, repeats) in enumerate(blocks):
        f_out = _round_filters(f_out, width)
        for r in range(repeats):
            name = f"b{bi}_{r}_"
            s = stride if r == 0 else 1
            cin = int(x.shape[-1])
            y = x
            if expand != 1:
                y = layers.Conv2D(cin * expand, 1, use_bias=False, name=name + "expand")(y)
                y = layers.BatchNormalization(name=name + "expand_bn")(y)
                y = layers.ReLU(6.0, name=name + "expand_relu6")(y)
            y = layers.DepthwiseConv2D(k, strides=s, padding="same", use_bias=False, name=name + "dw")(y)
            y = layers.BatchNormalization(name=name + "dw_bn")(y)
            y = layers.ReLU(6.0, name=name + "dw_relu6")(y)
            y = layers.Conv2D(f_out, 1, use_bias=False, name=name + "project")(y)
            y = layers.BatchNormalization(name=name + "project_bn")(y)
            if s == 1 and cin == f_out:
                y = layers.Add(name=name + "add")([x, y])
            x = y
    x = layers.Conv2D(1280 // 4, 1, use_bias=False, name="head_conv")(x)  # head scaled like the body
    x = layers.BatchNormalization(name="head_bn")(x)
    x = layers.ReLU(6.0, name="head_relu6")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    out = layers.Dense(10, name="classifier")(x)
    return keras.Model(inp, out, name="efficientnet_lite0_w025")


class PositionEmbedding(layers.Layer):
    def __init__(self, length: int, dim: int, **kw):
        super().__init__(**kw)
        self.length, self.dim = length, dim

    def build(self, input_shape):
        self.table = self.add_weight(name="table", shape=(self.length, self.dim), initializer="random_normal")

    def call(self, x):
        return x + self.table[None, :, :]


def bert_tiny(vocab: int = 1000, seq: int = 32, dim: int = 64, heads: int = 4, ff: int = 128,
              n_layers: int = 2) -> keras.Model:
    """A BERT-like encoder: token + position embeddings, 2 post-LN layers (MHA, GELU MLP), pooled head."""
    ids = keras.Input((seq,), batch_size=BATCH, dtype="int32", name="input_ids")
    x = layers.Embedding(vocab, dim, name="tok_emb")(ids)
    x = PositionEmbedding(seq, dim, name="pos_emb")(x)
    x = layers.LayerNormalization(epsilon=1e-12, name="emb_ln")(x)
    for i in range(n_layers):
        a = layers.MultiHeadAttention(heads, dim // heads, name=f"l{i}_mha")(x, x)
        x = layers.LayerNormalization(epsilon=1e-12, name=f"l{i}_ln1")(layers.Add(name=f"l{i}_res1")([x, a]))
        h = layers.Dense(ff, activation="gelu", name=f"l{i}_ff1")(x)
        h = layers.Dense(dim, name=f"l{i}_ff2")(h)
        x = layers.LayerNormalization(epsilon=1e-12, name=f"l{i}_ln2")(layers.Add(name=f"l{i}_res2")([x, h]))
    cls = x[:, 0, :]
    pooled = layers.Dense(dim, activation="tanh", name="pooler")(cls)
    out = layers.Dense(2, name="classifier")(pooled)
    return keras.Model(ids, out, name="bert_tiny")


MODELS = {"mobilenet_v2_035_96": mobilenet_v2, "efficientnet_lite0_w025_96": efficientnet_lite0_like,
          "bert_tiny_l2_h64_s32": bert_tiny}


# --- the independent count: Keras layer configs and output shapes ------------------------------
def _shape(t) -> tuple[int, ...]:
    return tuple(int(d) if d is not None else BATCH for d in t.shape)


def _einsum_flops(equation: str, out_shape: tuple[int, ...], kernel_shape: tuple[int, ...]) -> float:
    lhs, out = equation.split("->")
    _, kern = lhs.split(",")
    contracted = [kernel_shape[i] for i, ch in enumerate(kern) if ch not in out]
    return 2.0 * math.prod(out_shape) * math.prod(contracted)


def keras_count(model: keras.Model) -> dict:
    """Matrix FLOPs (2 per multiply-add) of every conv / dense / attention layer, and parameter counts."""
    per_layer: dict[str, float] = {}
    bn_params = folded_bias = 0

    def visit(layer) -> None:
        nonlocal bn_params, folded_bias
        cls = type(layer).__name__
        if cls == "Conv2D":
            out = _shape(layer.output)
            kh, kw, cin_g, cout = layer.kernel.shape
            per_layer[layer.name] = 2.0 * math.prod(out[:-1]) * cout * kh * kw * cin_g
        elif cls == "DepthwiseConv2D":
            out = _shape(layer.output)
            kh, kw = layer.kernel.shape[:2]
            per_layer[layer.name] = 2.0 * math.prod(out) * kh * kw
        elif cls == "Dense":
            out = _shape(layer.output)
            per_layer[layer.name] = 2.0 * math.prod(out) * layer.kernel.shape[0]
        elif cls == "EinsumDense":
            per_layer[layer.path if hasattr(layer, "path") else layer.name] = _einsum_flops(
                layer.equation, _shape(layer.output), tuple(layer.kernel.shape))
        elif cls == "MultiHeadAttention":
            q_in, v_in = _shape(layer.input[0]), _shape(layer.input[1])   # (B, Sq, E), (B, Skv, E)
            b, sq, skv = q_in[0], q_in[1], v_in[1]
            h, dk, dv = layer._num_heads, layer._key_dim, layer._value_dim
            subs = {"query": (layer._query_dense, (b, sq, h, dk)), "key": (layer._key_dense, (b, skv, h, dk)),
                    "value": (layer._value_dense, (b, skv, h, dv)),
                    "output": (layer._output_dense, (b, sq, int(layer._output_dense.kernel.shape[-1])))}
            for nm, (sub, out) in subs.items():
                per_layer[f"{layer.name}/{nm}"] = _einsum_flops(sub.equation, out, tuple(sub.kernel.shape))
            per_layer[layer.name + "/scores"] = 2.0 * b * h * sq * skv * dk
            per_layer[layer.name + "/context"] = 2.0 * b * h * sq * skv * dv
            return
        elif cls == "BatchNormalization":
            bn_params += int(sum(np.prod(w.shape) for w in layer.weights))
        if cls in ("Conv2D", "DepthwiseConv2D") and not layer.use_bias:
            folded_bias += int(layer.output.shape[-1])  # BN folds into a bias the converter adds
        for sub in getattr(layer, "_layers", []) or []:
            visit(sub)

    for layer in model.layers:
        visit(layer)
    keras_params = int(model.count_params())
    return {
        "matrix_flops": float(sum(per_layer.values())),
        "matrix_flops_per_layer": per_layer,
        "keras_params": keras_params,
        "batchnorm_params": bn_params,
        # what a converted model keeps: BN folded into the preceding conv (a bias of C_out values)
        "expected_tflite_params": keras_params - bn_params + folded_bias,
    }


# --- conversion ------------------------------------------------------------------------------------
def representative(model: keras.Model, n: int = 8):
    rng = np.random.default_rng(SEED)
    spec = model.inputs[0]

    def gen():
        for _ in range(n):
            shape = _shape(spec)
            if "int" in str(spec.dtype):
                yield [rng.integers(0, 1000, size=shape).astype(np.int32)]
            else:
                yield [rng.uniform(-1, 1, size=shape).astype(np.float32)]

    return gen


def randomize(model: keras.Model) -> None:
    """Give every weight distinct random values, as a trained model has.

    Fresh initialisers leave biases at 0, BN statistics at 0/1 and LN gains at 1; the
    converter then shares the identical constant tensors between layers, which no trained
    model would let it do. Variances stay positive.
    """
    rng = np.random.default_rng(SEED)
    for w in model.weights:
        shape = tuple(w.shape)
        vals = rng.normal(0.0, 0.1, size=shape)
        if "variance" in w.path or "moving_var" in w.path:
            vals = np.abs(vals) + 0.5
        elif "gamma" in w.path:
            vals = 1.0 + vals
        w.assign(vals.astype(np.float32))


def convert(model: keras.Model, int8: bool) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative(model)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if "int" not in str(model.inputs[0].dtype):
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
    return conv.convert()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "tests/fixtures/tflite")
    ap.add_argument("--only", nargs="*", default=None, help="model names to (re)generate")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(SEED)
    for name, make in MODELS.items():
        if args.only and name not in args.only:
            continue
        keras.utils.set_random_seed(SEED)
        model = make()
        randomize(model)
        info = keras_count(model)
        info.update({"model": name, "keras_class": type(model).__name__, "batch": BATCH,
                     "input_shape": list(_shape(model.inputs[0])), "converter": f"tensorflow {tf.__version__}",
                     "keras": keras.__version__, "script": "frontends_tflite/scripts/make_tflite_fixtures.py", "seed": SEED,
                     "date": datetime.date.today().isoformat(), "files": {}})
        for int8 in (False, True):
            fname = f"{name}_{'int8' if int8 else 'float32'}.tflite"
            data = convert(model, int8)
            (args.out / fname).write_bytes(data)
            info["files"][fname] = len(data)
            print(f"{fname}: {len(data)} bytes")
        (args.out / f"{name}.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
        print(f"{name}: matrix FLOPs {info['matrix_flops']:.0f}, params {info['keras_params']}")


if __name__ == "__main__":
    main()
