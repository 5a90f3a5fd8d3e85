"""Write a Terraform CLI configuration that installs the AWS provider from a local mirror if present.

Usage: `python -m mlops_kit.terraform_rc MIRROR_DIR > terraform.rc`. With no mirror on disk the
configuration installs every provider from the registry as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path

AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"


def terraform_cli_config(mirror: Path, plugin_cache: Path | None = None) -> str:
    """The text of a CLI config: the AWS provider from `mirror` when it holds one, else the registry."""
    lines = []
    if plugin_cache is not None:
        lines.append(f'plugin_cache_dir = "{plugin_cache}"')
    if (mirror / AWS_PROVIDER).is_dir():
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f'    path    = "{mirror}"',
            f'    include = ["{AWS_PROVIDER}"]',
            "  }",
            "  direct {",
            f'    exclude = ["{AWS_PROVIDER}"]',
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    mirror = Path(argv[1]) if len(argv) > 1 else Path("/opt/tf-plugins")
    cache = Path.cwd() / ".tools" / "terraform-plugin-cache"
    sys.stdout.write(terraform_cli_config(mirror, cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
