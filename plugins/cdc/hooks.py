"""The cdc plugin's answers to the platform's hooks (being written: core defaults apply until then)."""

__all__: list[str] = []
