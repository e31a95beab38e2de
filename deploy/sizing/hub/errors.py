"""What the Hub answered, in the spec's terms: each failure becomes a SpecError naming the field and the fix.

Rule: a network failure (or offline mode, a 5xx, or an answer huggingface_hub cannot read) is "unavailable" so the
caller can fall back to the cache or the bundled library; every other answer of the Hub is final. Messages never
contain a token.
"""

from __future__ import annotations

from typing import Any

from deploy.errors import SpecError
from deploy.sizing.hub.records import NETWORK_MODULES

INSTALL_HUB = "pip install 'lmi-deploy[hub]'"
NOT_INSTALLED = f"huggingface_hub is not installed ({INSTALL_HUB})"


class HubUnavailableError(SpecError):
    """The Hub could not be asked (offline, no network, 5xx, no huggingface_hub) and nothing usable is cached.

    ``remedy`` is the short way to make the Hub readable (connect, or install the ``[hub]`` extra), for callers that
    word their own message.
    """

    def __init__(self, message: str, *, field: str, value: Any, fix: str, reason: str, remedy: str):
        super().__init__(message, field=field, value=value, fix=fix)
        self.reason = reason
        self.remedy = remedy


class HubNotFoundError(SpecError):
    """The Hub has no such model (or, without a token, a private one: the Hub answers both alike)."""


class HubAccessError(SpecError):
    """The Hub refused the files: a gated or private model and no token, or a token without access."""

    def __init__(self, message: str, *, field: str, value: Any, fix: str, gated: str | bool, had_token: bool):
        super().__init__(message, field=field, value=value, fix=fix)
        self.gated = gated
        self.had_token = had_token


def _at(repo_id: str, revision: str | None) -> str:
    return f"{repo_id}@{revision}" if revision else repo_id


def unavailable(repo_id: str, revision: str | None, reason: str) -> HubUnavailableError:
    remedy = INSTALL_HUB if reason == NOT_INSTALLED else "connect to the Hub"
    first = (
        f"install it to read the model from the Hub ({INSTALL_HUB})"
        if reason == NOT_INSTALLED
        else "connect to the Hub once (its shape is then cached for offline use)"
    )
    return HubUnavailableError(
        f"model {_at(repo_id, revision)!r}: {reason}, and no shape of it is cached",
        field="model.id",
        value=repo_id,
        fix=f"{first}, or set model.config (--config) to a local copy of its config.json, or use a model of the "
        "bundled library",
        reason=reason,
        remedy=remedy,
    )


def unreachable_reason(exc: Exception, endpoint: str) -> str | None:
    """Why the Hub could not answer (network, offline mode, a 5xx), or None when it answered (or for a bug)."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(exc, OfflineModeIsEnabled):
        return "huggingface_hub is in offline mode"
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        return f"the Hub at {endpoint} answered HTTP {status}" if status >= 500 or status == 429 else None
    if isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in NETWORK_MODULES:
        return f"the Hub at {endpoint} is not reachable ({type(exc).__name__})"
    if _choked_on_answer(exc):
        return f"the Hub at {endpoint} sent an answer huggingface_hub could not read ({type(exc).__name__})"
    return None


def _choked_on_answer(exc: Exception) -> bool:
    """huggingface_hub failed on what the server sent, not lmi-deploy on what it got back: a TypeError on a
    ``siblings`` that is not a list, an AttributeError on an agent registry that is not an object, an HTML captive
    portal where JSON belongs. Told apart by the traceback: huggingface_hub is on it and the innermost frame is
    outside lmi-deploy (a bug of ours is still raised)."""
    if isinstance(exc, SpecError):
        return False
    modules = []
    frame = exc.__traceback__
    while frame is not None:
        modules.append(str(frame.tb_frame.f_globals.get("__name__", "")).split(".")[0])
        frame = frame.tb_next
    return "huggingface_hub" in modules and modules[-1] != "deploy"


def translate(exc: Exception, repo_id: str, revision: str | None, had_token: bool, page: str) -> SpecError | None:
    """A SpecError naming the field and the fix for an answer of the Hub; None for an unexpected exception."""
    from huggingface_hub import errors

    if isinstance(exc, SpecError):
        return exc
    if isinstance(exc, errors.GatedRepoError):
        return _gated(repo_id, page, had_token)
    if isinstance(exc, errors.RevisionNotFoundError):
        return SpecError(
            f"model {repo_id!r} has no revision {revision!r} on the Hub",
            field="model.revision",
            value=revision,
            fix=f"use a branch, tag or full commit sha listed at {page}/commits/main",
        )
    if isinstance(exc, errors.RepositoryNotFoundError):
        return HubNotFoundError(
            f"model {repo_id!r} is not on the Hugging Face Hub" + ("" if had_token else " (or it is private)"),
            field="model.id",
            value=repo_id,
            fix="check model.id; the token given has no access to it"
            if had_token
            else "check model.id; for a private model set model.hf_token: env:HF_TOKEN (lmi size: export HF_TOKEN)",
        )
    if isinstance(exc, errors.EntryNotFoundError):
        return SpecError(
            f"model {_at(repo_id, revision)!r} has no config.json on the Hub",
            field="model.config",
            value=repo_id,
            fix="set model.config (--config) to the model's config.json",
        )
    if isinstance(exc, errors.SafetensorsParsingError):
        return SpecError(f"{repo_id}: {exc}", field="model.id", value=repo_id, fix="check the checkpoint on " + page)
    if isinstance(exc, errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        return SpecError(
            f"the Hub answered HTTP {status} for model {repo_id!r}",
            field="model.hf_token" if status in (401, 403) else "model.id",
            value=repo_id,
            fix=f"check model.id and that the token may read {page}",
        )
    if isinstance(exc, ValueError):
        return SpecError(
            f"model {repo_id!r}: a file read from the Hub is not valid JSON ({exc})",
            field="model.config",
            value=repo_id,
            fix="set model.config (--config) to a local copy of the model's config.json",
        )
    return None


def _gated(repo_id: str, page: str, had_token: bool) -> HubAccessError:
    problem = "refused its files to the token given" if had_token else "needs a token to read its files"
    fix = (
        f"accept the licence at {page} with the account the token belongs to"
        if had_token
        else f"accept the licence at {page}, then set model.hf_token: env:HF_TOKEN and export HF_TOKEN "
        "(lmi size reads HF_TOKEN)"
    )
    return HubAccessError(
        f"model {repo_id!r} is gated on the Hugging Face Hub, which {problem}",
        field="model.hf_token",
        value=None,
        fix=fix,
        gated=True,
        had_token=had_token,
    )
