"""Pages of the web form; they gather input and show output, the `screening` core decides."""
