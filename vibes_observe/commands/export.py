import click


@click.command()
def export():
    """(not yet)"""
    raise click.ClickException("not implemented yet")
