"""Flask CLI for users: `flask --app app:server create-user NAME --role ROLE [--role ROLE…] [--department CODE]
[--street CODE] [--community CODE] [--crew CODE] [--display-name NAME]` prints the new password on its last line;
`set-password NAME` (a new one, printed last), `disable-user NAME`, `demo-users` (one per role, for `make run`).

A refusal is one line (``Error: …``) and exit status 1, and nothing is written.
"""
from __future__ import annotations

import click
from flask import Flask

from services import audit, identity
from settings import get_settings
from workorders.policy import ROLES


def _fail(error: identity.IdentityError) -> click.ClickException:
    return click.ClickException(f"{error.field}: {error.message}")


def register(server: Flask) -> None:
    @server.cli.command("create-user")
    @click.argument("name")
    @click.option("--role", "roles", multiple=True, help=f"one of {', '.join(ROLES)} (repeat for several)")
    @click.option("--department", default=None, help="承办单位 code (role department)")
    @click.option("--street", default=None, help="街道 code (role street)")
    @click.option("--community", default=None, help="社区 code (role community)")
    @click.option("--crew", default=None, help="crew code (role grid_worker: the grid worker's own crew)")
    @click.option("--display-name", default=None, help="the name shown in the header (default: NAME)")
    def create_user_command(name, roles, department, street, community, crew, display_name):
        """Create user NAME and print its password (once) on the last line."""
        audit.set_origin(audit.CLI)
        try:
            user, password = identity.create_user(
                name, list(roles), display_name=display_name, by="cli",
                scopes={"department": department, "street": street, "community": community, "crew": crew})
        except identity.IdentityError as error:
            raise _fail(error) from None
        click.echo(f"user {user.name} created ({', '.join(sorted(user.roles))}); its password is shown only now:")
        click.echo(password)

    @server.cli.command("set-password")
    @click.argument("name")
    def set_password_command(name):
        """Give user NAME a new password (printed on the last line); its sessions end and a lock lifts."""
        audit.set_origin(audit.CLI)
        try:
            password = identity.set_password(name, by="cli")
        except identity.IdentityError as error:
            raise _fail(error) from None
        click.echo(f"new password of {name}:")
        click.echo(password)

    @server.cli.command("disable-user")
    @click.argument("name")
    def disable_user_command(name):
        """Disable user NAME: it can no longer sign in and its sessions end."""
        audit.set_origin(audit.CLI)
        try:
            identity.disable_user(name, by="cli")
        except identity.IdentityError as error:
            raise _fail(error) from None
        click.echo(f"user {name} disabled")

    @server.cli.command("demo-users")
    def demo_users_command():
        """Create one demo user per role where missing and print them with their passwords."""
        audit.set_origin(audit.CLI)
        users = identity.ensure_demo_users()
        path = get_settings().var_dir / "demo-users.json"
        click.echo(f"demo users (sign in at /login; passwords kept in {path}):")
        for user in users:
            password = user.password or "(set before: flask --app app:server set-password " + user.username + ")"
            click.echo(f"  {user.role:<12} {ROLES[user.role]:<6} {user.username:<16} {password}")
