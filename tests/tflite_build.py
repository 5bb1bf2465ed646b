"""Build small TFLite flatbuffers by hand with the ``flatbuffers`` builder (tests only).

Real files in the TFLite schema, written field by field through the generated builder
functions of the ``tflite`` package, for cases a converter does not produce on demand
(custom ops, dynamic batch signatures, corrupt references).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import flatbuffers
import numpy as np


def _m(name: str):
    return importlib.import_module(f"tflite.{name}")


@dataclass
class T:
    name: str
    shape: tuple[int, ...]
    dtype: int = 0                      # TensorType: 0 float32, 2 int32, 9 int8
    data: bytes | None = None
    signature: tuple[int, ...] | None = None
    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()
    axis: int = 0


@dataclass
class Op:
    code: int                           # BuiltinOperator (32 = CUSTOM)
    inputs: list[int]
    outputs: list[int]
    custom: str = ""
    version: int = 1
    fused_activation: int | None = None  # for FULLY_CONNECTED / ADD


@dataclass
class Model:
    tensors: list[T]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    description: str = "hand-built"
    extra: dict = field(default_factory=dict)


def _ivec(b: flatbuffers.Builder, start, values, elem="int32") -> int:
    start(b, len(values))
    for v in reversed(list(values)):
        getattr(b, {"int32": "PrependInt32", "int64": "PrependInt64", "float": "PrependFloat32",
                    "uint8": "PrependUint8"}[elem])(v)
    return b.EndVector()


def build(model: Model) -> bytes:
    b = flatbuffers.Builder(1024)
    Buf, Ten, Q, OpM, OC, SG, Mod = (_m(n) for n in ("Buffer", "Tensor", "QuantizationParameters", "Operator",
                                                      "OperatorCode", "SubGraph", "Model"))
    FC, AddO = _m("FullyConnectedOptions"), _m("AddOptions")
    # buffers: 0 is the empty sentinel
    buffers, buf_index = [], []
    Buf.BufferStart(b)
    buffers.append(Buf.BufferEnd(b))
    for t in model.tensors:
        if t.data is None:
            buf_index.append(0)
            continue
        data = b.CreateNumpyVector(np.frombuffer(t.data, dtype=np.uint8))
        Buf.BufferStart(b)
        Buf.BufferAddData(b, data)
        buffers.append(Buf.BufferEnd(b))
        buf_index.append(len(buffers) - 1)
    tensors = []
    for t, bi in zip(model.tensors, buf_index):
        name = b.CreateString(t.name)
        shape = _ivec(b, Ten.TensorStartShapeVector, t.shape)
        sig = _ivec(b, Ten.TensorStartShapeSignatureVector, t.signature) if t.signature else None
        quant = None
        if t.scale:
            sc = _ivec(b, Q.QuantizationParametersStartScaleVector, t.scale, "float")
            zp = _ivec(b, Q.QuantizationParametersStartZeroPointVector, t.zero_point or (0,) * len(t.scale), "int64")
            Q.QuantizationParametersStart(b)
            Q.QuantizationParametersAddScale(b, sc)
            Q.QuantizationParametersAddZeroPoint(b, zp)
            Q.QuantizationParametersAddQuantizedDimension(b, t.axis)
            quant = Q.QuantizationParametersEnd(b)
        Ten.TensorStart(b)
        Ten.TensorAddShape(b, shape)
        if sig is not None:
            Ten.TensorAddShapeSignature(b, sig)
        Ten.TensorAddType(b, t.dtype)
        Ten.TensorAddBuffer(b, bi)
        Ten.TensorAddName(b, name)
        if quant is not None:
            Ten.TensorAddQuantization(b, quant)
        tensors.append(Ten.TensorEnd(b))
    codes: list[tuple[int, str, int]] = []
    ops = []
    for op in model.ops:
        key = (op.code, op.custom, op.version)
        if key not in codes:
            codes.append(key)
        ins = _ivec(b, OpM.OperatorStartInputsVector, op.inputs)
        outs = _ivec(b, OpM.OperatorStartOutputsVector, op.outputs)
        opts, opts_type = None, 0
        if op.fused_activation is not None and op.code == 9:
            FC.FullyConnectedOptionsStart(b)
            FC.FullyConnectedOptionsAddFusedActivationFunction(b, op.fused_activation)
            opts, opts_type = FC.FullyConnectedOptionsEnd(b), 8
        elif op.fused_activation is not None and op.code == 0:
            AddO.AddOptionsStart(b)
            AddO.AddOptionsAddFusedActivationFunction(b, op.fused_activation)
            opts, opts_type = AddO.AddOptionsEnd(b), 11
        OpM.OperatorStart(b)
        OpM.OperatorAddOpcodeIndex(b, codes.index(key))
        OpM.OperatorAddInputs(b, ins)
        OpM.OperatorAddOutputs(b, outs)
        if opts is not None:
            OpM.OperatorAddBuiltinOptionsType(b, opts_type)
            OpM.OperatorAddBuiltinOptions(b, opts)
        ops.append(OpM.OperatorEnd(b))
    code_offsets = []
    for code, custom, version in codes:
        cname = b.CreateString(custom) if custom else None
        OC.OperatorCodeStart(b)
        OC.OperatorCodeAddBuiltinCode(b, code)
        OC.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        if cname is not None:
            OC.OperatorCodeAddCustomCode(b, cname)
        OC.OperatorCodeAddVersion(b, version)
        code_offsets.append(OC.OperatorCodeEnd(b))

    def vec(start, items):
        start(b, len(items))
        for it in reversed(items):
            b.PrependUOffsetTRelative(it)
        return b.EndVector()

    t_vec = vec(SG.SubGraphStartTensorsVector, tensors)
    o_vec = vec(SG.SubGraphStartOperatorsVector, ops)
    i_vec = _ivec(b, SG.SubGraphStartInputsVector, model.inputs)
    out_vec = _ivec(b, SG.SubGraphStartOutputsVector, model.outputs)
    sg_name = b.CreateString("main")
    SG.SubGraphStart(b)
    SG.SubGraphAddTensors(b, t_vec)
    SG.SubGraphAddInputs(b, i_vec)
    SG.SubGraphAddOutputs(b, out_vec)
    SG.SubGraphAddOperators(b, o_vec)
    SG.SubGraphAddName(b, sg_name)
    sg = SG.SubGraphEnd(b)
    sgs = vec(Mod.ModelStartSubgraphsVector, [sg])
    ocs = vec(Mod.ModelStartOperatorCodesVector, code_offsets)
    bufs = vec(Mod.ModelStartBuffersVector, buffers)
    desc = b.CreateString(model.description)
    Mod.ModelStart(b)
    Mod.ModelAddVersion(b, 3)
    Mod.ModelAddOperatorCodes(b, ocs)
    Mod.ModelAddSubgraphs(b, sgs)
    Mod.ModelAddDescription(b, desc)
    Mod.ModelAddBuffers(b, bufs)
    root = Mod.ModelEnd(b)
    b.Finish(root, file_identifier=b"TFL3")
    return bytes(b.Output())


def mlp(batch: int = 1, dynamic: bool = False, custom: bool = False) -> bytes:
    """x[B,8] -> FULLY_CONNECTED(W[16,8], b[16], fused RELU) -> [custom MyOp] -> ADD(x2) -> out."""
    rng = np.random.default_rng(0)
    sig = (-1, 8) if dynamic else None
    tensors = [
        T("x", (batch, 8), signature=sig),
        T("w", (16, 8), data=rng.standard_normal((16, 8)).astype(np.float32).tobytes()),
        T("b", (16,), data=rng.standard_normal(16).astype(np.float32).tobytes()),
        T("h", (batch, 16), signature=(-1, 16) if dynamic else None),
        T("c", (batch, 16), signature=(-1, 16) if dynamic else None),
        T("y", (batch, 16), signature=(-1, 16) if dynamic else None),
    ]
    ops = [Op(9, [0, 1, 2], [3], fused_activation=1)]
    if custom:
        ops.append(Op(32, [3], [4], custom="MyOp"))
    else:
        ops.append(Op(19, [3], [4]))  # RELU
    ops.append(Op(0, [4, 4], [5]))
    return build(Model(tensors, ops, [0], [5]))
