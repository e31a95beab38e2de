"""Which AWS region a command works in: decided here, and only here.

Why one place: the region picks the image's ECR account, the partition of every ARN, the default bucket and the
endpoint's home. When two stages decide it differently, SageMaker is asked to pull an image from another region
(``--region eu-west-1`` once produced a CreateModel pointing at the us-east-1 image).

The order, first that is set wins:

1. the spec's ``region``;
2. the region asked for (``--region``, ``deploy.Client(region=...)``);
3. the region of a boto3 session the caller passed in;
4. ``AWS_REGION``, then ``AWS_DEFAULT_REGION`` (what the AWS CLI and the SDKs read);
5. the profile's ``region`` in the AWS config file (``AWS_PROFILE`` or the profile given);
6. for a spec, ``us-east-1`` (the spec's historical default); for a command on a name, nothing (an error).

A spec that names its region and a different asked-for region is refused rather than silently overridden in
either direction. Reading the config file uses configparser, not boto3, so offline commands stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from deploy.catalog import DEFAULT_SPEC_REGION
from deploy.errors import UsageError
from deploy.records import record

__all__ = ["DEFAULT_SPEC_REGION", "RegionChoice", "choose_region", "environment", "profile_region"]


@record
class RegionChoice:
    """The region and where it came from (``spec``, ``asked``, ``session``, ``AWS_REGION``, ..., ``default``)."""

    region: str | None
    source: str


def choose_region(
    *,
    spec_region: str | None = None,
    asked: str | None = None,
    session_region: str | None = None,
    environ: Mapping[str, str] | None = None,
    profile: str | None = None,
    read_profile: Callable[[str | None, Mapping[str, str]], str | None] | None = None,
    fallback: str | None = None,
) -> RegionChoice:
    """Apply the order of the module docstring. ``environ`` defaults to no environment (pure)."""
    env = {} if environ is None else environ
    if spec_region and asked and spec_region != asked:
        raise UsageError(
            f"the spec deploys to {spec_region} but region {asked} was asked for",
            field="region",
            value=asked,
            fix=f"drop `region: {spec_region}` from the spec to choose the region per run, or ask for {spec_region}",
        )
    candidates = (
        (spec_region, "spec"),
        (asked, "asked"),
        (session_region, "session"),
        (env.get("AWS_REGION"), "AWS_REGION"),
        (env.get("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"),
    )
    for value, source in candidates:
        if value:
            return RegionChoice(value, source)
    from_profile = (read_profile or profile_region)(profile, env)
    if from_profile:
        return RegionChoice(from_profile, "profile")
    return RegionChoice(fallback, "default" if fallback else "none")


def profile_region(profile: str | None, environ: Mapping[str, str]) -> str | None:
    """The ``region`` of the profile (given, ``AWS_PROFILE``, ``AWS_DEFAULT_PROFILE``, ``default``) in the config."""
    name = profile or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"
    import configparser  # here, not at the top: most runs name the region before the profile is consulted

    path = Path(environ.get("AWS_CONFIG_FILE") or Path.home() / ".aws" / "config").expanduser()
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return None  # an unreadable config file has no region for us; boto3 reports its own problems later
    section = name if name == "default" else f"profile {name}"
    for candidate in (section, name):
        if parser.has_option(candidate, "region"):
            return parser.get(candidate, "region").strip() or None
    return None


def environment() -> Mapping[str, str]:
    """The process environment, the one impure input (kept here so callers read it in one place)."""
    return os.environ
