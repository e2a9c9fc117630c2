"""auditor: find marketplace listings that sell AI-generated obscene images, and the sellers behind them."""

__version__ = "0.1.0"
