from backoffice_site.cli import run

run()
