"""Write the synthetic X12 samples ``remit.835`` and ``claims.837`` (run: ``python samples/make_remit_samples.py``).

SYNTHETIC DATA: every name, id and amount is made up.  Amounts come from the shipped 2026 tables (national
locality, office setting, RVU26C) and the demo payers (``estimator demo load``): Medicare, "Demo: Acme PPO
(115%)" (E/M with 25 cut 50%) and "Demo: Summit Health (130%)" (two AK destructions per 365 days).  The
billed charges are the demo charge master (2x national Medicare).  Each line balances: charge = paid +
adjustments, and each claim's paid amount is the sum of its lines'.

Planted cases: paid as contracted; underpaid (Medicare 17004, Acme 17004 paid at 100% of Medicare); overpaid
(Acme 17000 at 120%); denied CO-97 (an E/M without 25: rightly), CO-16 (missing information: resubmit),
CO-151 (a 3rd destruction in 365 days: rightly; a patient's first: wrongly); PR-1 deductible, PR-2
coinsurance, PR-3 copay, CO-45 contractual, CO-253 sequestration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from estimator.core.pricing import price_unit
from estimator.tables.shipped import default_catalog

HERE = Path(__file__).resolve().parent
SEQUESTRATION = Decimal("0.02")


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pct(cents: int, pct: str) -> int:
    return _round(Decimal(cents) * Decimal(pct))


@dataclass
class Line:
    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    allowed: int | None = None  # None: contract amount
    deductible: int = 0
    copay: int = 0
    coinsurance_pct: str = "0"
    sequestration: bool = False
    denial: tuple[str, str, str] | None = None  # (group, CARC, RARC)
    charge: int = 0
    paid: int = 0
    adjustments: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class ClaimSpec:
    number: str
    patient: str
    service: dt.date
    lines: list[Line]
    diagnosis: str = "L57.0"


def _fmt(cents: int) -> str:
    text = f"{Decimal(cents) / 100:.2f}"
    return text[:-3] if text.endswith(".00") else text


def build_835() -> str:
    tables = default_catalog().for_date(dt.date(2026, 3, 2))

    def medicare(code: str, units: int = 1) -> int:
        return (price_unit(tables, code).cents or 0) * units

    def contract(payer: str, line: Line) -> int:
        base = medicare(line.code, line.units)
        if payer == "Medicare":
            return base
        pct = {"Demo: Acme PPO (115%)": "1.15", "Demo: Summit Health (130%)": "1.30"}[payer]
        allowed = _pct(base, pct)
        if payer.startswith("Demo: Acme") and "25" in line.modifiers:
            allowed = _pct(allowed, "0.5")
        return allowed

    d = dt.date
    payments = [
        ("Medicare", "Medicare", "SYNMCR01", d(2026, 2, 20), [
            ClaimSpec("SYN-RA-2001", "SYN-PT-0101", d(2026, 2, 2), [
                Line("99213", modifiers=("25",), coinsurance_pct="0.2", sequestration=True),
                Line("17000", coinsurance_pct="0.2", sequestration=True),
                Line("17003", units=4, coinsurance_pct="0.2", sequestration=True)]),
            ClaimSpec("SYN-RA-2002", "SYN-PT-0102", d(2026, 2, 3), [
                Line("17004", allowed=15000, deductible=5000, coinsurance_pct="0.2", sequestration=True)]),
            ClaimSpec("SYN-RA-2003", "SYN-PT-0103", d(2026, 2, 4), [
                Line("99213", denial=("CO", "97", "M15")),
                Line("17000", coinsurance_pct="0.2", sequestration=True)]),
            ClaimSpec("SYN-RA-2004", "SYN-PT-0104", d(2026, 2, 5), [
                Line("11102", denial=("CO", "16", "MA130")),
                Line("11103", denial=("CO", "16", "MA130"))], diagnosis="D48.5"),
            ClaimSpec("SYN-RA-2005", "SYN-PT-0105", d(2026, 2, 6), [
                Line("17000", deductible=-1)]),  # -1: the whole allowed amount goes to the deductible
        ]),
        ("Demo: Acme PPO (115%)", "Demo: Acme PPO (115%)", "SYNACME01", d(2026, 3, 10), [
            ClaimSpec("SYN-RA-3001", "SYN-PT-0201", d(2026, 2, 16), [
                Line("99213", modifiers=("25",), copay=2000), Line("17000")]),
            ClaimSpec("SYN-RA-3002", "SYN-PT-0202", d(2026, 2, 17), [
                Line("17004", allowed=medicare("17004"))]),
            ClaimSpec("SYN-RA-3003", "SYN-PT-0203", d(2026, 2, 18), [
                Line("17000", allowed=_pct(medicare("17000"), "1.20"))]),
        ]),
        ("Demo: Summit Health (130%)", "Demo: Summit Health (130%)", "SYNSUMMIT01", d(2026, 4, 15), [
            ClaimSpec("SYN-RA-4001", "SYN-PT-0301", d(2026, 1, 12), [Line("17000", coinsurance_pct="0.2")]),
            ClaimSpec("SYN-RA-4002", "SYN-PT-0301", d(2026, 3, 16), [Line("17000", coinsurance_pct="0.2")]),
            ClaimSpec("SYN-RA-4003", "SYN-PT-0301", d(2026, 3, 30), [Line("17000", denial=("CO", "151", "N362"))]),
            ClaimSpec("SYN-RA-4004", "SYN-PT-0302", d(2026, 3, 31), [
                Line("17000", denial=("CO", "151", "N362")), Line("17003", denial=("CO", "151", "N362"))]),
        ]),
    ]

    segments: list[str] = []
    control = 1
    for name_x12, payer, payer_id, paid_on, claims in payments:
        body: list[str] = []
        total_paid = 0
        for claim in claims:
            claim_segments: list[str] = []
            charge_sum = paid_sum = patient_sum = 0
            for number, line in enumerate(claim.lines, start=1):
                line.charge = medicare(line.code, line.units) * 2
                if line.denial:
                    group, carc, _ = line.denial
                    allowed = 0
                    line.adjustments = [(group, carc, line.charge)]
                else:
                    allowed = contract(payer, line) if line.allowed is None else line.allowed
                    deductible = allowed if line.deductible < 0 else line.deductible
                    coinsurance = _pct(allowed - deductible, line.coinsurance_pct)
                    copay = min(line.copay, allowed - deductible)
                    pre = allowed - deductible - coinsurance - copay
                    sequestration = _pct(pre, str(SEQUESTRATION)) if line.sequestration else 0
                    line.paid = pre - sequestration
                    co = [("CO", "45", line.charge - allowed)]
                    if sequestration:
                        co.append(("CO", "253", sequestration))
                    pr = [(g, c, a) for g, c, a in (("PR", "1", deductible), ("PR", "2", coinsurance),
                                                   ("PR", "3", copay)) if a]
                    line.adjustments = co + pr
                    patient_sum += deductible + coinsurance + copay
                assert line.charge == line.paid + sum(a for _, _, a in line.adjustments)
                charge_sum += line.charge
                paid_sum += line.paid
                mods = "".join(f">{m}" for m in line.modifiers)
                claim_segments.append(f"SVC*HC>{line.code}{mods}*{_fmt(line.charge)}*{_fmt(line.paid)}**{line.units}")
                claim_segments.append(f"DTM*472*{claim.service:%Y%m%d}")
                by_group: dict[str, list[str]] = {}
                for group, carc, amount in line.adjustments:
                    by_group.setdefault(group, []).extend([carc, _fmt(amount), ""])
                for group, parts in by_group.items():
                    claim_segments.append("CAS*" + group + "*" + "*".join(parts).rstrip("*"))
                claim_segments.append(f"REF*6R*{number}")
                if not line.denial:
                    claim_segments.append(f"AMT*B6*{_fmt(allowed)}")
                if line.denial:
                    claim_segments.append(f"LQ*HE*{line.denial[2]}")
            status = "4" if all(line.denial for line in claim.lines) else "1"
            body.append(f"CLP*{claim.number}*{status}*{_fmt(charge_sum)}*{_fmt(paid_sum)}*"
                        f"{_fmt(patient_sum)}*{'MB' if payer == 'Medicare' else '12'}*"
                        f"{payer_id}{claim.number[-4:]}*11*1")
            body.append(f"NM1*QC*1*SYNTHETIC*PATIENT****MI*{claim.patient}")
            body.append(f"DTM*232*{claim.service:%Y%m%d}")
            body.extend(claim_segments)
            total_paid += paid_sum
        st = f"{control:04d}"
        transaction = [
            f"ST*835*{st}",
            f"BPR*I*{_fmt(total_paid)}*C*ACH*CCP*01*999999999*DA*123456789*1999999999**01*999988880*DA*987654321*"
            f"{paid_on:%Y%m%d}",
            f"TRN*1*SYNEFT{control:04d}*1999999999",
            f"DTM*405*{paid_on - dt.timedelta(days=2):%Y%m%d}",
            f"N1*PR*{name_x12}*XV*{payer_id}",
            "N3*1 SYNTHETIC PLAZA",
            "N4*ANYTOWN*TX*75001",
            "PER*BL*SYNTHETIC PROVIDER SERVICES*TE*5555550199",
            "N1*PE*SYNTHETIC DERMATOLOGY*XX*1999999984",
            "LX*1",
            *body,
        ]
        transaction.append(f"SE*{len(transaction) + 1}*{st}")
        segments.extend(transaction)
        control += 1
    return _envelope("HP", "005010X221A1", segments, control - 1, "SYNPAYER", "SYNDERM")


def _envelope(functional: str, version: str, segments: list[str], transactions: int, sender: str,
              receiver: str) -> str:
    isa = (f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{receiver:<15}*260420*1200*^*00501*000000101*0*T*>")
    out = [isa, f"GS*{functional}*{sender}*{receiver}*20260420*1200*101*X*{version}", *segments,
           f"GE*{transactions}*101", "IEA*1*000000101"]
    return "~\n".join(out) + "~\n"


def build_837() -> str:
    """Claims billed and not paid yet (837P): billed lines with units, modifiers, POS and diagnosis pointers."""
    tables = default_catalog().for_date(dt.date(2026, 3, 2))

    def charge(code: str, units: int = 1) -> int:
        return (price_unit(tables, code).cents or 0) * units * 2

    d = dt.date
    claims = [
        ("SYN-CLM-5001", "SYN-PT-0401", "Medicare", d(2026, 5, 4), "11", ("L57.0",),
         [("99213", ("25",), 1), ("17000", (), 1), ("17003", (), 6)]),
        ("SYN-CLM-5002", "SYN-PT-0402", "Demo: Acme PPO (115%)", d(2026, 5, 5), "11", ("L57.0",),
         [("17004", (), 1)]),
        ("SYN-CLM-5003", "SYN-PT-0403", "Demo: Summit Health (130%)", d(2026, 5, 6), "11", ("D48.5", "L57.0"),
         [("11102", (), 1), ("17000", (), 1)]),
        ("SYN-CLM-5004", "SYN-PT-0404", "Medicare", d(2026, 5, 7), "11", ("L57.0",),
         [("99213", (), 1), ("17000", (), 1)]),
    ]
    segments: list[str] = []
    st = "0001"
    body = [
        f"ST*837*{st}*005010X222A1",
        "BHT*0019*00*SYNBATCH01*20260508*1200*CH",
        "NM1*41*2*SYNTHETIC DERMATOLOGY*****46*SYNDERM",
        "PER*IC*BILLING*TE*5555550100",
        "NM1*40*2*SYNTHETIC CLEARINGHOUSE*****46*SYNCH",
        "HL*1**20*1",
        "NM1*85*2*SYNTHETIC DERMATOLOGY*****XX*1999999984",
        "N3*1 SYNTHETIC WAY", "N4*ANYTOWN*TX*75001", "REF*EI*999999999",
    ]
    hl = 1
    for number, patient, payer, day, pos, dx, lines in claims:
        hl += 1
        total = sum(charge(code, units) for code, _, units in lines)
        body += [f"HL*{hl}*1*22*0", "SBR*P*18*******CI",
                 f"NM1*IL*1*SYNTHETIC*PATIENT****MI*{patient}",
                 f"NM1*PR*2*{payer}*****PI*SYN{hl:03d}",
                 f"CLM*{number}*{_fmt(total)}***{pos}>B>1*Y*A*Y*Y",
                 "HI*" + "*".join(("ABK" if k == 0 else "ABF") + ">" + code.replace(".", "")
                                  for k, code in enumerate(dx))]
        for k, (code, mods, units) in enumerate(lines, start=1):
            pointer = ">".join(str(p + 1) for p in range(len(dx)))
            mod = "".join(f">{m}" for m in mods)
            body += [f"LX*{k}", f"SV1*HC>{code}{mod}*{_fmt(charge(code, units))}*UN*{units}***{pointer}",
                     f"DTP*472*D8*{day:%Y%m%d}"]
    body.append(f"SE*{len(body) + 1}*{st}")
    segments.extend(body)
    return _envelope("HC", "005010X222A1", segments, 1, "SYNDERM", "SYNCH")


def main() -> None:
    (HERE / "remit.835").write_text(build_835(), encoding="ascii")
    (HERE / "claims.837").write_text(build_837(), encoding="ascii")


if __name__ == "__main__":
    main()
