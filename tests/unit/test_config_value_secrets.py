"""A credential-shaped string where a config.json (or a safetensors header from a hostile Hub) holds a number is
refused with the value shown, and shown scrubbed *before* it is cut to 40 characters: cutting first left a token
prefix too short for the scrubber to recognise (``'Adv-pass-...-hf_AbCdEfGhIjKlM...'``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.errors import SpecError
from deploy.sizing.config import checked_shape
from deploy.sizing.safetensors import tensor_bytes

TOKENS = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=34, max_size=40).map(
        lambda body: "hf_" + body
    ),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=16).map(lambda body: "AKIA" + body),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=36, max_size=36).map(lambda body: "ghp_" + body),
)
PREFIX = st.text("abcdefghij-", min_size=0, max_size=40).map(lambda text: text + " ")
FIELDS = st.sampled_from(["num_attention_heads", "hidden_size", "num_hidden_layers", "vocab_size"])
BASE = {
    "architectures": ["Qwen2ForCausalLM"],
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "vocab_size": 152064,
    "max_position_embeddings": 32768,
    "torch_dtype": "bfloat16",
}


def _no_piece_of(token: str, text: str) -> bool:
    """No 10-character run of the token's random part appears in ``text``."""
    body = token[4:]
    return not any(body[i : i + 10] in text for i in range(len(body) - 9))


@given(token=TOKENS, prefix=PREFIX, field=FIELDS)
def test_a_token_in_a_config_value_is_never_shown(token: str, prefix: str, field: str) -> None:
    with pytest.raises(SpecError) as refused:
        checked_shape({**BASE, field: prefix + token}, "acme/model", "config.json")
    shown = f"{refused.value} {refused.value.value}"
    assert field in shown
    assert _no_piece_of(token, shown), shown


@pytest.mark.parametrize("where", ["name", "dimension"])
def test_a_token_in_a_safetensors_header_is_never_shown(where: str) -> None:
    token = "hf_" + "Q7xAbCdEfGhIjKlMnOpQrStUvWxYz012345"
    # the token starts inside the part that is kept (80 characters of a name, 40 of a dimension) and ends past it
    padding = "padding-" * (7 if where == "name" else 2)
    padded = padding + token
    header = {padded: {"dtype": "BF16", "shape": "8"}} if where == "name" else {"w": {"shape": [padded]}}
    with pytest.raises((SpecError, ValueError)) as refused:
        tensor_bytes(header)
    assert _no_piece_of(token, str(refused.value))
