import click


@click.command()
def metrics():
    """(not yet)"""
    raise click.ClickException("not implemented yet")
