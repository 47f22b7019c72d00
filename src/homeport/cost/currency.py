"""Amounts in one report currency, converted only with the dated rate the job gives (`fx:`)."""

from __future__ import annotations

from homeport.core.errors import HomeportError


class Converter:
    """`convert(amount, currency, what)` into `currency`; remembers the rates it used, for the assumptions."""

    def __init__(self, currency: str, fx=None):
        self.currency = currency
        self.fx = fx
        self.used: set[tuple[str, str, float]] = set()

    def convert(self, amount: float, currency: str, what: str) -> float:
        if currency == self.currency or amount == 0:
            return amount
        rates = self.fx.rates if self.fx else {}
        if (currency, self.currency) in rates:
            rate = rates[(currency, self.currency)]
            self.used.add((currency, self.currency, rate))
            return amount * rate
        if (self.currency, currency) in rates:
            rate = rates[(self.currency, currency)]
            self.used.add((self.currency, currency, rate))
            return amount / rate
        raise HomeportError(
            f"{what} is priced in {currency} and the report in {self.currency}, and the job gives no rate between them",
            expected=f"fx: {{{currency}_{self.currency}: <{self.currency} per {currency}>, as_of: YYYY-MM-DD}} in the job",
            got=f"no {currency}_{self.currency} rate" + (f" (fx gives {', '.join(f'{a}_{b}' for a, b in rates)})"
                                                           if rates else ""),
            hint=f"add the rate with the date you read it, or compare only providers priced in {self.currency} "
                 "(--provider, or compare.providers in the job)")

    def sentences(self) -> list[str]:
        return [f"{a} converted at {rate:g} {b} per {a} (the job's rate, as of {self.fx.as_of})"
                for a, b, rate in sorted(self.used)]
