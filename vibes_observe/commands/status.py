import click


@click.command()
def status():
    """(not yet)"""
    raise click.ClickException("not implemented yet")
