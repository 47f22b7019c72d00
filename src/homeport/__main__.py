"""`python -m homeport` (and `torchrun -m homeport bench`): the same as the `homeport` command."""

from homeport.cli.main import run

if __name__ == "__main__":
    run()
