import click


@click.command()
def alerts():
    """(not yet)"""
    raise click.ClickException("not implemented yet")
