"""The zoo catalogue: names, descriptions and inputs of every zoo model (no torch import here).

Parameter strings are the published sizes; tests check each against the built model.
"""

from __future__ import annotations

from graphs_frontend_fx.zoo._entry import DECODER_SEQ, ENCODER_SEQ, Spec, features, images, latents, tokens

CNN, VIT, TF, LLM = ("cnn", "vision"), ("transformer", "vision"), ("transformer", "nlp"), ("transformer", "llm")
IMG = "image classification"


def _cnn(name: str, module: str, desc: str, params: str, aliases: tuple[str, ...] = (), size: int = 224) -> Spec:
    return Spec(name, module, f"{desc}; {size}x{size} input", module, images(size), IMG, params, aliases, CNN)


def _vit(name: str, desc: str, params: str, aliases: tuple[str, ...] = ()) -> Spec:
    return Spec(name, "vit", f"{desc}; 224x224 input", "vit", images(224, fixed=True), IMG, params, aliases, VIT)


def _enc(name: str, desc: str, params: str, aliases: tuple[str, ...] = (), max_pos: int = 512) -> Spec:
    return Spec(name, "encoder", f"{desc}; seq {ENCODER_SEQ} by default", "encoders",
                tokens(ENCODER_SEQ, max_pos), "text encoder", params, aliases, TF)


def _dec(name: str, desc: str, params: str, max_pos: int, aliases: tuple[str, ...] = ()) -> Spec:
    seq = min(DECODER_SEQ, max_pos)
    return Spec(name, "decoder", f"{desc}; prefill of seq {seq} by default (max {max_pos})", "decoders",
                tokens(seq, max_pos), "causal language model", params, aliases, LLM)


SPECS: list[Spec] = [
    # --- convolutional networks ---
    _cnn("resnet18", "resnet", "ResNet-18 (basic blocks 2-2-2-2)", "11.7M", ("resnet-18",)),
    _cnn("resnet34", "resnet", "ResNet-34 (basic blocks 3-4-6-3)", "21.8M", ("resnet-34",)),
    _cnn("resnet50", "resnet", "ResNet-50 (bottlenecks 3-4-6-3)", "25.6M", ("resnet-50",)),
    _cnn("resnet101", "resnet", "ResNet-101 (bottlenecks 3-4-23-3)", "44.5M", ("resnet-101",)),
    _cnn("resnet152", "resnet", "ResNet-152 (bottlenecks 3-8-36-3)", "60.2M", ("resnet-152",)),
    _cnn("resnext50_32x4d", "resnet", "ResNeXt-50 32x4d (grouped 3x3)", "25.0M", ("resnext50",)),
    _cnn("resnext101_32x8d", "resnet", "ResNeXt-101 32x8d (grouped 3x3)", "88.8M", ("resnext101",)),
    _cnn("wide_resnet50_2", "resnet", "Wide ResNet-50-2", "68.9M", ("wide-resnet50",)),
    _cnn("mobilenet_v2", "mobilenet", "MobileNetV2 (inverted residuals, ReLU6)", "3.5M", ("mobilenet-v2", "mobilenetv2")),
    _cnn("mobilenet_v3_large", "mobilenet", "MobileNetV3-Large (SE, hard-swish)", "5.5M", ("mobilenet-v3-large",)),
    _cnn("mobilenet_v3_small", "mobilenet", "MobileNetV3-Small (SE, hard-swish)", "2.5M", ("mobilenet-v3-small",)),
    _cnn("efficientnet_b0", "efficientnet", "EfficientNet-B0 (MBConv, SE, SiLU)", "5.3M", ("efficientnet-b0",)),
    _cnn("efficientnet_b1", "efficientnet", "EfficientNet-B1", "7.8M", ("efficientnet-b1",), 240),
    _cnn("efficientnet_b2", "efficientnet", "EfficientNet-B2", "9.1M", ("efficientnet-b2",), 260),
    _cnn("efficientnet_b3", "efficientnet", "EfficientNet-B3", "12.2M", ("efficientnet-b3",), 300),
    _cnn("convnext_tiny", "convnext", "ConvNeXt-T (depthwise 7x7, LayerNorm, GELU)", "28.6M", ("convnext-t",)),
    _cnn("convnext_small", "convnext", "ConvNeXt-S", "50.2M", ("convnext-s",)),
    _cnn("convnext_base", "convnext", "ConvNeXt-B", "88.6M", ("convnext-b",)),
    _cnn("regnet_x_400mf", "regnet", "RegNetX-400MF (grouped bottlenecks)", "5.5M", ("regnetx-400mf",)),
    _cnn("regnet_y_400mf", "regnet", "RegNetY-400MF (grouped bottlenecks, SE)", "4.3M", ("regnety-400mf",)),
    _cnn("regnet_y_1_6gf", "regnet", "RegNetY-1.6GF", "11.2M", ("regnety-1.6gf",)),
    _cnn("densenet121", "densenet", "DenseNet-121 (dense concatenation)", "8.0M", ("densenet-121",)),
    _cnn("densenet169", "densenet", "DenseNet-169", "14.1M", ("densenet-169",)),
    _cnn("densenet201", "densenet", "DenseNet-201", "20.0M", ("densenet-201",)),
    _cnn("inception_v3", "inception", "Inception-v3 (no auxiliary head)", "23.8M", ("inception-v3", "inceptionv3"), 299),
    _cnn("alexnet", "classic", "AlexNet", "61.1M"),
    _cnn("vgg16", "classic", "VGG-16", "138.4M", ("vgg-16",)),
    _cnn("vgg19", "classic", "VGG-19", "143.7M", ("vgg-19",)),
    _cnn("squeezenet1_0", "classic", "SqueezeNet 1.0 (fire modules)", "1.2M", ("squeezenet",)),
    _cnn("squeezenet1_1", "classic", "SqueezeNet 1.1", "1.2M"),
    _cnn("shufflenet_v2_x1_0", "classic", "ShuffleNetV2 1.0x (channel split and shuffle)", "2.3M", ("shufflenet-v2",)),
    # --- detection, segmentation, generation ---
    Spec("yolov5n", "yolo", "YOLOv5n-style detector (80 classes, heads up to sigmoid, no NMS); 640x640 input", "yolo",
         images(640), "object detection", "1.9M", ("yolo-n",), CNN),
    Spec("yolov5s", "yolo", "YOLOv5s-style detector (80 classes, heads up to sigmoid, no NMS); 640x640 input", "yolo",
         images(640), "object detection", "7.2M", ("yolov5", "yolo-s"), CNN),
    Spec("yolov5m", "yolo", "YOLOv5m-style detector (80 classes, heads up to sigmoid, no NMS); 640x640 input", "yolo",
         images(640), "object detection", "21.2M", ("yolo-m",), CNN),
    Spec("unet", "unet", "U-Net (padded, BN, transposed-conv ups, 2 classes); 224x224 input", "unet",
         images(224), "segmentation", "31.0M", ("u-net",), CNN),
    Spec("sd-unet", "diffusion", "Stable Diffusion 1.x UNet, one denoising step: 64x64x4 latent, 77x768 text context",
         "diffusion", latents(), "diffusion", "859.5M", ("sd15-unet", "stable-diffusion-unet"), ("diffusion", "vision")),
    # --- vision transformers ---
    _vit("vit-b16", "ViT-B/16 (12 layers, d=768)", "86.6M", ("vit_b_16", "vit-base-patch16-224")),
    _vit("vit-b32", "ViT-B/32 (12 layers, d=768)", "88.2M", ("vit_b_32",)),
    _vit("vit-l16", "ViT-L/16 (24 layers, d=1024)", "304.3M", ("vit_l_16",)),
    _vit("deit-tiny", "DeiT-Ti/16 (12 layers, d=192)", "5.7M", ("deit_tiny_patch16_224",)),
    _vit("deit-small", "DeiT-S/16 (12 layers, d=384)", "22.1M", ("deit_small_patch16_224",)),
    Spec("swin_t", "swin", "Swin-T (shifted 7x7 windows, relative position bias); 224x224 input", "swin", images(224),
         IMG, "28.3M", ("swin-t", "swin-tiny"), VIT),
    Spec("swin_s", "swin", "Swin-S (shifted 7x7 windows, relative position bias); 224x224 input", "swin", images(224),
         IMG, "49.6M", ("swin-s", "swin-small"), VIT),
    # --- text encoders ---
    _enc("bert-base", "BERT-base (12 layers, d=768, with pooler)", "109.5M", ("bert-base-uncased", "bert_base")),
    _enc("bert-large", "BERT-large (24 layers, d=1024, with pooler)", "335.1M", ("bert-large-uncased",)),
    _enc("roberta-base", "RoBERTa-base (12 layers, d=768, with pooler)", "124.6M", ("roberta",), 514),
    _enc("roberta-large", "RoBERTa-large (24 layers, d=1024, with pooler)", "355.4M", (), 514),
    _enc("distilbert-base", "DistilBERT-base (6 layers, d=768)", "66.4M", ("distilbert-base-uncased", "distilbert")),
    _enc("albert-base-v2", "ALBERT-base-v2 (one shared layer applied 12 times)", "11.7M", ("albert-base", "albert")),
    Spec("t5-small-encoder", "encoder", f"T5-small encoder stack (6 layers, relative position bias); seq {ENCODER_SEQ} "
         "by default", "encoders", tokens(ENCODER_SEQ), "text encoder", "35.3M", ("t5-small",), TF),
    Spec("t5-base-encoder", "encoder", f"T5-base encoder stack (12 layers, relative position bias); seq {ENCODER_SEQ} "
         "by default", "encoders", tokens(ENCODER_SEQ), "text encoder", "109.6M", ("t5-base",), TF),
    Spec("whisper-tiny-encoder", "encoder", "Whisper-tiny audio encoder; 80x3000 log-mel input (30 s)", "encoders",
         features(80, 3000, 3000), "speech encoder", "8.2M", ("whisper-tiny",), ("transformer", "audio")),
    Spec("whisper-base-encoder", "encoder", "Whisper-base audio encoder; 80x3000 log-mel input (30 s)", "encoders",
         features(80, 3000, 3000), "speech encoder", "20.6M", ("whisper-base",), ("transformer", "audio")),
    Spec("whisper-small-encoder", "encoder", "Whisper-small audio encoder; 80x3000 log-mel input (30 s)", "encoders",
         features(80, 3000, 3000), "speech encoder", "88.2M", ("whisper-small",), ("transformer", "audio")),
    # --- decoder-only language models ---
    _dec("gpt2", "GPT-2 small (12 layers, d=768)", "124M", 1024, ("gpt2-small",)),
    _dec("gpt2-medium", "GPT-2 medium (24 layers, d=1024)", "355M", 1024),
    _dec("gpt2-large", "GPT-2 large (36 layers, d=1280)", "774M", 1024),
    _dec("gpt2-xl", "GPT-2 XL (48 layers, d=1600)", "1.56B", 1024),
    _dec("opt-125m", "OPT-125M (12 layers, d=768, ReLU)", "125M", 2048),
    _dec("opt-1.3b", "OPT-1.3B (24 layers, d=2048, ReLU)", "1.32B", 2048),
    _dec("opt-6.7b", "OPT-6.7B (32 layers, d=4096, ReLU)", "6.66B", 2048),
    _dec("llama2-7b", "Llama-2-7B (32 layers, d=4096, RMSNorm, SwiGLU, rotary)", "6.74B", 4096,
         ("llama-2-7b", "llama2_7b")),
    _dec("llama2-13b", "Llama-2-13B (40 layers, d=5120)", "13.0B", 4096, ("llama-2-13b",)),
    _dec("llama3-8b", "Llama-3-8B (32 layers, d=4096, 8 KV heads)", "8.03B", 8192, ("llama-3-8b", "llama3.1-8b")),
    _dec("mistral-7b", "Mistral-7B (32 layers, d=4096, 8 KV heads)", "7.24B", 32768, ("mistral-7b-v0.1",)),
    _dec("tinyllama-1.1b", "TinyLlama-1.1B (22 layers, d=2048, 4 KV heads)", "1.10B", 2048, ("tinyllama",)),
    _dec("phi-2", "Phi-2 (32 layers, d=2560, parallel attention/MLP, partial rotary)", "2.78B", 2048, ("phi2",)),
    Spec("lstm-lm", "rnn", "2-layer LSTM language model (650 units, 10k vocabulary); seq 128 by default", "rnn",
         tokens(ENCODER_SEQ), "language model", "19.8M", ("lstm",), ("rnn", "nlp")),
    Spec("lstm-lm-large", "rnn", "2-layer LSTM language model (1500 units, 10k vocabulary); seq 128 by default", "rnn",
         tokens(ENCODER_SEQ), "language model", "66.0M", (), ("rnn", "nlp")),
    Spec("gru-lm", "rnn", "2-layer GRU language model (650 units, 10k vocabulary); seq 128 by default", "rnn",
         tokens(ENCODER_SEQ), "language model", "18.1M", ("gru",), ("rnn", "nlp")),
    _dec("mixtral-8x7b", "Mixtral-8x7B MoE (8 experts, top-2, balanced routing assumed)", "46.7B", 32768,
         ("mixtral",)),
]
