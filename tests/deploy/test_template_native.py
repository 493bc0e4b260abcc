"""TemplateNative.yaml: cfn-lint clean, and the pool and app client native passkeys need."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from templates_support import TEMPLATES_DIR, load, resources_of

NAME = "TemplateNative.yaml"


def test_cfn_lint_is_clean() -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert cfn_lint is not None, "cfn-lint (dev extra) is not installed"
    result = subprocess.run(
        [cfn_lint, str(TEMPLATES_DIR / NAME)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pool_allows_passkeys_as_a_first_factor() -> None:
    [pool] = resources_of(load(NAME), "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["UserPoolTier"] in ("ESSENTIALS", "PLUS")
    assert props["WebAuthnRelyingPartyID"] == {"Ref": "RelyingPartyId"}
    assert props["WebAuthnUserVerification"] == {"Ref": "UserVerification"}
    assert props["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "WEB_AUTHN"]
    assert "LambdaConfig" not in props  # no triggers: Cognito holds the passkeys


def test_the_app_client_allows_choice_based_sign_in_and_refresh_only() -> None:
    template = load(NAME)
    [client] = resources_of(template, "AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["ExplicitAuthFlows"] == ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    assert props["AuthSessionValidity"] == 3
    assert template["Parameters"]["UserVerification"]["AllowedValues"] == ["preferred", "required"]
    assert {"UserPoolId", "UserPoolClientId", "RelyingPartyId"} <= set(template["Outputs"])
