"""``passbook checkpoint``: an auditor's signed record of every account's chain head, and
``passbook verify --checkpoint`` (:func:`verify_checkpoint_file`), the proof that today's
books extend it.

The private key is the auditor's: ``keygen`` writes it with mode 0600 and never prints it;
only the public key and its fingerprint are shown. A checkpoint is signed in this process and
the file written holds the signature and the public key; the short form printed (and its QR
code) is what goes on the notice board (公示), so that anyone can later check a file against
it. ``checkpoint sign`` signs a body fetched from ``GET /api/books/checkpoint`` offline.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import db
import i18n
import ledger
from cli.options import database_option, run_use_case
from community import services

key_option = click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The auditor's Ed25519 private key (PEM), made by 'passbook checkpoint keygen'.",
)
out_option = click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the signed checkpoint (JSON).",
)


def _told(error: db.DomainError) -> str:
    """A refusal's message in the command line's language."""
    return i18n.render(error.message, i18n.from_environment())


def _private_key(path: Path) -> Ed25519PrivateKey:
    try:
        return ledger.load_private_key(path.read_bytes())
    except ledger.errors.InvalidCheckpoint as error:
        raise click.ClickException(f"{path}: {_told(error)}") from error


def _publish(signed: ledger.SignedCheckpoint, out: Path) -> None:
    out.write_text(
        json.dumps(signed.document(), sort_keys=True, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    short = signed.short_form()
    qr = segno.make(short, error="m")
    png = out.with_name(out.name + ".qr.png")
    qr.save(str(png), scale=4)
    accounts = len(signed.body["accounts"])
    click.echo(f"Signed checkpoint of {accounts} accounts written to {out}.")
    click.echo(f"Public key fingerprint {signed.fingerprint}")
    click.echo(f"Publish on the notice board (公示), with the QR code (also in {png}):")
    click.echo(short)
    qr.terminal(out=sys.stdout, compact=True)


@click.group(invoke_without_command=True)
@database_option
@key_option
@out_option
@click.pass_context
def checkpoint(
    ctx: click.Context, database_url: str | None, key_file: Path | None, out: Path | None
) -> None:
    """Sign a checkpoint of the books (--key KEYFILE --out FILE): the books digest and every
    account's chain head, to publish; 'passbook verify --checkpoint FILE' later proves that
    history before it was not rewritten."""
    if ctx.invoked_subcommand is not None:
        return
    if key_file is None or out is None:
        raise click.UsageError("Give --key KEYFILE and --out FILE (or a subcommand).")
    key = _private_key(key_file)

    async def work(tx: db.Transactions) -> ledger.Checkpoint:
        return await tx.read(services.take_checkpoint, services.OPERATOR)

    _publish(ledger.sign_checkpoint(run_use_case(database_url, work), key), out)


@checkpoint.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key (PEM, mode 0600); the public key goes to OUT.pub.",
)
def keygen(out: Path) -> None:
    """Make the auditor's Ed25519 key pair. Keep the private key off the books' server."""
    if out.exists():
        raise click.ClickException(f"{out} exists already; a key is never overwritten.")
    key = ledger.new_private_key()
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(ledger.private_key_pem(key))
    public = out.with_name(out.name + ".pub")
    public.write_bytes(ledger.public_key_pem(key.public_key()))
    raw = ledger.public_key_hex(key.public_key())
    click.echo(f"Private key written to {out} (mode 0600): keep it secret, keep a copy offline.")
    click.echo(f"Public key written to {public}: {raw}")
    click.echo(f"Fingerprint (publish it): {ledger.fingerprint(raw)}")


@checkpoint.command()
@key_option
@click.option(
    "--body",
    "body_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The unsigned checkpoint, as GET /api/books/checkpoint answered it (JSON).",
)
@out_option
def sign(key_file: Path | None, body_file: Path, out: Path | None) -> None:
    """Sign a checkpoint body fetched from the API, without access to the database."""
    if key_file is None or out is None:
        raise click.UsageError("Give --key KEYFILE and --out FILE.")
    key = _private_key(key_file)
    try:
        body = json.loads(body_file.read_text(encoding="utf-8"))
        signed = ledger.sign_checkpoint(body, key)
    except (ValueError, ledger.errors.InvalidCheckpoint) as error:
        message = _told(error) if isinstance(error, ledger.errors.InvalidCheckpoint) else error
        raise click.ClickException(f"{body_file}: {message}") from error
    _publish(signed, out)


def verify_checkpoint_file(database_url: str | None, path: Path, public_key: Path | None) -> None:
    """Check the signature of the checkpoint in ``path`` and that today's books extend it;
    exit 1 naming every account whose history was rewritten."""
    try:
        signed = ledger.read_signed(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ledger.errors.InvalidCheckpoint) as error:
        message = _told(error) if isinstance(error, ledger.errors.InvalidCheckpoint) else error
        raise click.ClickException(f"{path}: {message}") from error
    key_text = public_key.read_text(encoding="utf-8") if public_key else None
    if key_text is None:
        click.echo(
            "WARNING: no --public-key given; using the key recorded in the file. Trust the "
            f"result only if its fingerprint {ledger.fingerprint(signed.public_key)} is the "
            "one the auditor published.",
            err=True,
        )

    async def work(tx: db.Transactions) -> ledger.CheckpointReport:
        return await tx.read(
            services.check_checkpoint, services.OPERATOR, signed=signed, public_key=key_text
        )

    report = run_use_case(database_url, work)
    click.echo(
        f"Signature OK. Checkpoint of {report.taken_at}Z, {report.accounts} accounts, "
        f"books digest {report.digest}."
    )
    if report.ok:
        click.echo("OK: today's books extend the checkpoint; history before it is unchanged.")
        return
    if not report.books.ok:
        click.echo(
            f"BROKEN: the books do not verify: {len(report.books.problems)} problem(s).", err=True
        )
        for problem in report.books.problems[:50]:
            click.echo(f"  {problem}", err=True)
    if report.rewritten:
        click.echo(
            f"REWRITTEN: {len(report.rewritten)} account(s) do not extend the checkpoint.",
            err=True,
        )
        for account in report.rewritten:
            click.echo(f"  {account}", err=True)
    sys.exit(1)
