from tradewind.cli.main import app

app()
