"""`python -m mocks serve | token ROLE ... | personas`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from mocks.idp import ROLE_CLAIMS, TokenRequestError, issue_user_token
from mocks.settings import MockSettings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mocks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve every mocked service (uvicorn)")
    serve.add_argument("--host", help="interface (MOCKS_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (MOCKS_PORT, default 8001)")

    token = commands.add_parser("token", help="print a user token signed by the mock IdP")
    token.set_defaults(parser=token)
    token.add_argument("role", choices=list(ROLE_CLAIMS))
    token.add_argument("--person", help="person id (citizen)")
    token.add_argument("--district", help="district code, e.g. 778 (checkpoint, officers)")
    token.add_argument("--employer", help="employer id (employer)")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (3600)")
    token.add_argument("--sub", help="subject; defaults per role, e.g. CP-778-001")

    commands.add_parser("personas", help="print the demo people of the data set as JSON")
    return parser


def _serve(settings: MockSettings, args: argparse.Namespace) -> None:
    import uvicorn

    from mocks.app import create_app

    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _token(settings: MockSettings, args: argparse.Namespace) -> None:
    try:
        token = issue_user_token(
            args.role, args.person, args.district, args.employer, args.ttl, args.sub,
            settings=settings,
        )
    except TokenRequestError as exc:
        args.parser.error(str(exc))
    print(token)


def _personas(settings: MockSettings) -> None:
    from mocks.seed import personas

    print(json.dumps(personas(settings), ensure_ascii=False, indent=2))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; argparse exits with status 2 on a usage error."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = MockSettings.from_env()
    except SettingsError as exc:
        parser.error(str(exc))
    if args.command == "serve":
        _serve(settings, args)
    elif args.command == "token":
        _token(settings, args)
    else:
        _personas(settings)


if __name__ == "__main__":
    main()
