import click


@click.command()
def cost():
    """(not yet)"""
    raise click.ClickException("not implemented yet")
