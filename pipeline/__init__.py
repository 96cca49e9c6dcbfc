"""What the GitHub Actions workflows (.github/workflows/) run, as code a developer runs too:
each module is a `make` target (pipeline/pipeline.mk), and the workflows only call those targets
and post what they write (docs/review-and-deploy.md)."""
