import click


@click.command()
def dashboard():
    """(not yet)"""
    raise click.ClickException("not implemented yet")
