"""The four templates as the template tests read them: names, parsed documents, resources."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

TEMPLATES_DIR = Path(str(resources.files("cognito_passkey.lambdas") / "templates"))
LOGINID = ("Template.yaml", "TemplateExisting.yaml")
SELFHOSTED = ("TemplateSelfHosted.yaml", "TemplateSelfHostedExisting.yaml")
NEW_POOL = ("Template.yaml", "TemplateSelfHosted.yaml")
EXISTING_POOL = ("TemplateExisting.yaml", "TemplateSelfHostedExisting.yaml")
ALL = LOGINID + SELFHOSTED


def load(name: str) -> dict[str, Any]:
    """The parsed template, which must decode without a cfn-lint match."""
    template, matches = decode(str(TEMPLATES_DIR / name))
    assert not matches, matches
    assert isinstance(template, dict)
    return template


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
