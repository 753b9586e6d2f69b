"""Every fixed text of the patient documents, in English and Spanish; dates, money and service labels.

``MESSAGES`` holds one dict per language with the same keys (a test checks it).  Placeholders use
``str.format`` names.  Plain-language service labels come from the tables in English; Spanish labels for
the featured codes live here, and any other code falls back to its English label.

The estimate's assumptions are produced by the core as English sentences; ``assumption`` translates the
known sentence forms to Spanish and leaves an unknown one in English rather than guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Final

from estimator.core.errors import InputError
from estimator.core.money import cents_to_decimal

LANGUAGES: Final = ("en", "es")
LANGUAGE_NAMES: Final = {"en": "English", "es": "Español"}

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        # shared
        "npi": "NPI",
        "tin": "TIN",
        "patient": "Patient",
        "patient_name": "Patient name",
        "date_of_birth": "Date of birth",
        "date_of_service": "Date of service",
        "issued_on": "Date of this estimate",
        "code": "Code",
        "service": "Service",
        "units": "Units",
        "diagnosis_codes": "Diagnosis codes",
        "total": "Total",
        "not_given": "not given",
        "page_of": "Page {page} of {pages}",
        # patient estimate
        "pe_title": "Your cost estimate",
        "pe_intro": "What your insurance is expected to pay and what you are expected to owe for this visit.",
        "insurance_plan": "Insurance plan",
        "you_owe": "You are expected to owe",
        "insurance_pays": "Insurance is expected to pay",
        "secondary_pays": "Your secondary plan is expected to pay",
        "allowed_total": "Allowed by your plan",
        "services_heading": "Services",
        "col_allowed": "Allowed amount",
        "col_insurance": "Insurance pays",
        "col_you_owe": "You owe",
        "why_heading": "Why you owe this amount",
        "why_deductible": "Deductible: {amount}. The part of your yearly deductible not yet met; you pay this "
                          "first, before your plan shares the cost.",
        "why_coinsurance": "Coinsurance: {amount}. Your percentage share of the allowed amount after the "
                           "deductible.",
        "why_copay": "Copay: {amount}. A fixed amount your plan charges for the visit or procedure.",
        "why_secondary": "Your secondary plan is expected to pay {amount} of your share; it is already "
                         "subtracted above.",
        "why_self_pay": "Self-pay: you owe the whole amount.",
        "why_nothing": "Nothing: your plan is expected to pay the whole allowed amount.",
        "unknown_share": "Not known yet",
        "why_unknown": "Your plan's deductible, coinsurance and copay were not entered, so your share cannot be "
                       "estimated yet; ask us to check your benefits.",
        "sequestration_note": "Medicare's own payment is reduced by {amount} by law (sequestration); this does "
                              "not change what you owe.",
        "limiting_note": "This practice does not participate with Medicare. The most it may bill you for these "
                         "services (the limiting charge) is {amount}.",
        "reimbursed_note": "This claim is unassigned: you pay the practice, and Medicare then pays you {amount}, "
                           "so your own cost is {net}.",
        "assumptions_heading": "Assumptions used",
        "provisional_rates": "Estimated with {year} Medicare rates; {next} rates not yet published.",
        "documented": "The clinical note records: {items}.",
        "doc_site": "site", "doc_size": "size", "doc_appearance": "appearance", "doc_method": "method",
        "doc_count": "number of lesions", "doc_diagnosis": "diagnosis", "doc_consent": "consent",
        "doc_photos": "photographs",
        "not_guarantee": "This is an estimate, not a guarantee of payment. What you owe is decided by your "
                         "insurance plan when it processes the claim, and may differ if your benefits, the "
                         "services you receive or your plan's rules are different from what is assumed here. "
                         "Please call your plan if you have questions about your coverage.",
        # Good Faith Estimate
        "gfe_title": "Good Faith Estimate",
        "gfe_subtitle": "For uninsured or self-pay patients (No Surprises Act)",
        "gfe_intro": "You have the right to receive a Good Faith Estimate of what the charges could be for "
                     "your health care items and services. Under the law, health care providers must give "
                     "patients who do not have insurance, or who are not using insurance, an estimate of the "
                     "bill for health care items and services before those items or services are provided.",
        "primary_heading": "Primary service",
        "primary_service": "Primary service",
        "scheduled_date": "Scheduled date",
        "requested_on": "Estimate requested on",
        "not_scheduled": "not yet scheduled",
        "due_by": "Must be provided by",
        "due_scheduled_10": "{date} (scheduled on {start}, at least 10 business days ahead: within 3 business "
                            "days)",
        "due_scheduled_3": "{date} (scheduled on {start}, at least 3 business days ahead: within 1 business day)",
        "due_requested": "{date} (requested on {start}: within 3 business days)",
        "due_not_required": "Not required: scheduled on {start}, fewer than 3 business days ahead. Given "
                            "voluntarily.",
        "provider_heading": "Provider",
        "convening_provider": "Convening provider",
        "co_provider": "Co-provider",
        "provider_name": "Provider name",
        "location": "Location",
        "state": "State",
        "place_of_service": "Place of service",
        "items_heading": "Itemized services and expected charges",
        "service_code": "Service code",
        "expected_charge": "Expected charge",
        "provider_total": "Total expected charges from {name}",
        "gfe_total": "Total expected charges",
        "dispute_threshold": "A bill of {amount} or more from this provider ($400 or more over this estimate) "
                             "lets you start patient-provider dispute resolution.",
        "separately_heading": "Items or services to be scheduled separately",
        "separately_none": "None expected.",
        "separately_note": "Items or services scheduled separately get their own Good Faith Estimate.",
        "disclaimer_heading": "Disclaimer",
        "disclaimer_estimate": "This Good Faith Estimate shows the costs of items and services that are "
                               "reasonably expected for your health care needs for the service above. It is based "
                               "on information known when it was created. It is only an estimate: the items, "
                               "services or charges you actually receive may differ.",
        "disclaimer_not_included": "This estimate does not include any unknown or unexpected costs that may "
                                   "arise during treatment; you could be charged more if complications or special "
                                   "circumstances occur. Other items or services not listed here are not included.",
        "disclaimer_dispute": "If you are billed for more than this Good Faith Estimate, you have the right to "
                              "dispute the bill. If the total billed by a provider or facility is $400 or more "
                              "above the total expected charges for that provider or facility on this estimate, "
                              "you may start the patient-provider dispute resolution process. You must start it "
                              "within 120 calendar days (about 4 months) of the date on the original bill. "
                              "There is a $25 fee to use the dispute process. If the agency reviewing your "
                              "dispute agrees with you, you will pay the price on this estimate; if it agrees "
                              "with the provider, you will pay the higher amount.",
        "disclaimer_how": "To learn more and get a form to start the process, visit {url} or call {phone}. "
                          "Keep a copy or a picture of this Good Faith Estimate and of the bill.",
        "disclaimer_contract": "This Good Faith Estimate is not a contract and does not require you to obtain "
                               "the items or services from any of the providers or facilities identified in it.",
        "questions": "For questions about this estimate, contact {name}.",
        "lesions_one": "Destruction of 1 precancerous skin spot (actinic keratosis)",
        "lesions_many": "Destruction of {n} precancerous skin spots (actinic keratoses)",
    },
    "es": {
        "npi": "NPI",
        "tin": "TIN (número de identificación fiscal)",
        "patient": "Paciente",
        "patient_name": "Nombre del paciente",
        "date_of_birth": "Fecha de nacimiento",
        "date_of_service": "Fecha del servicio",
        "issued_on": "Fecha de esta estimación",
        "code": "Código",
        "service": "Servicio",
        "units": "Unidades",
        "diagnosis_codes": "Códigos de diagnóstico",
        "total": "Total",
        "not_given": "no indicado",
        "page_of": "Página {page} de {pages}",
        "pe_title": "Estimación de su costo",
        "pe_intro": "Lo que se espera que pague su seguro y lo que se espera que usted pague por esta visita.",
        "insurance_plan": "Plan de seguro",
        "you_owe": "Se espera que usted pague",
        "insurance_pays": "Se espera que su seguro pague",
        "secondary_pays": "Se espera que su plan secundario pague",
        "allowed_total": "Permitido por su plan",
        "services_heading": "Servicios",
        "col_allowed": "Monto permitido",
        "col_insurance": "Paga el seguro",
        "col_you_owe": "Usted paga",
        "why_heading": "Por qué debe pagar este monto",
        "why_deductible": "Deducible: {amount}. La parte de su deducible anual que aún no ha cubierto; usted la "
                          "paga primero, antes de que su plan comparta el costo.",
        "why_coinsurance": "Coseguro: {amount}. Su porcentaje del monto permitido después del deducible.",
        "why_copay": "Copago: {amount}. Una cantidad fija que su plan cobra por la visita o el procedimiento.",
        "why_secondary": "Se espera que su plan secundario pague {amount} de su parte; ya está descontado arriba.",
        "why_self_pay": "Pago por cuenta propia: usted paga el monto total.",
        "why_nothing": "Nada: se espera que su plan pague todo el monto permitido.",
        "unknown_share": "Aún no se sabe",
        "why_unknown": "No se ingresaron el deducible, el coseguro ni el copago de su plan, por lo que aún no se "
                       "puede estimar su parte; pídanos que verifiquemos sus beneficios.",
        "sequestration_note": "Por ley, el pago de Medicare se reduce en {amount} (secuestro presupuestario); "
                              "esto no cambia lo que usted paga.",
        "limiting_note": "Esta práctica no participa con Medicare. Lo máximo que puede cobrarle por estos "
                         "servicios (el cargo límite) es {amount}.",
        "reimbursed_note": "Esta reclamación no es asignada: usted le paga a la práctica y luego Medicare le paga "
                           "a usted {amount}, así que su costo propio es {net}.",
        "assumptions_heading": "Supuestos utilizados",
        "provisional_rates": "Estimado con las tarifas de Medicare de {year}; las tarifas de {next} aún no se "
                             "han publicado.",
        "documented": "La nota clínica registra: {items}.",
        "doc_site": "sitio", "doc_size": "tamaño", "doc_appearance": "aspecto", "doc_method": "método",
        "doc_count": "número de lesiones", "doc_diagnosis": "diagnóstico", "doc_consent": "consentimiento",
        "doc_photos": "fotografías",
        "not_guarantee": "Esta es una estimación, no una garantía de pago. Lo que usted debe lo decide su plan "
                         "de seguro cuando procesa la reclamación, y puede ser diferente si sus beneficios, los "
                         "servicios que recibe o las reglas de su plan no coinciden con lo que se supone aquí. "
                         "Llame a su plan si tiene preguntas sobre su cobertura.",
        "gfe_title": "Estimación de buena fe",
        "gfe_subtitle": "Para pacientes sin seguro o que pagan por cuenta propia (Ley Sin Sorpresas)",
        "gfe_intro": "Usted tiene derecho a recibir una estimación de buena fe de lo que podrían costar sus "
                     "artículos y servicios de atención médica. Según la ley, los proveedores de atención médica "
                     "deben dar a los pacientes que no tienen seguro, o que no usan su seguro, una estimación de "
                     "la factura de los artículos y servicios de atención médica antes de prestarlos.",
        "primary_heading": "Servicio principal",
        "primary_service": "Servicio principal",
        "scheduled_date": "Fecha programada",
        "requested_on": "Estimación solicitada el",
        "not_scheduled": "aún no programado",
        "due_by": "Debe entregarse a más tardar el",
        "due_scheduled_10": "{date} (programado el {start}, con al menos 10 días hábiles de anticipación: "
                            "dentro de 3 días hábiles)",
        "due_scheduled_3": "{date} (programado el {start}, con al menos 3 días hábiles de anticipación: dentro "
                           "de 1 día hábil)",
        "due_requested": "{date} (solicitada el {start}: dentro de 3 días hábiles)",
        "due_not_required": "No es obligatoria: programado el {start}, con menos de 3 días hábiles de "
                            "anticipación. Se entrega de forma voluntaria.",
        "provider_heading": "Proveedor",
        "convening_provider": "Proveedor que coordina la atención",
        "co_provider": "Proveedor adicional",
        "provider_name": "Nombre del proveedor",
        "location": "Ubicación",
        "state": "Estado",
        "place_of_service": "Lugar del servicio",
        "items_heading": "Lista detallada de servicios y cargos esperados",
        "service_code": "Código del servicio",
        "expected_charge": "Cargo esperado",
        "provider_total": "Total de cargos esperados de {name}",
        "gfe_total": "Total de cargos esperados",
        "dispute_threshold": "Una factura de {amount} o más de este proveedor ($400 o más por encima de esta "
                             "estimación) le permite iniciar la resolución de disputas entre pacientes y "
                             "proveedores.",
        "separately_heading": "Artículos o servicios que se programarán por separado",
        "separately_none": "No se prevé ninguno.",
        "separately_note": "Los artículos o servicios que se programen por separado tendrán su propia "
                           "estimación de buena fe.",
        "disclaimer_heading": "Aviso",
        "disclaimer_estimate": "Esta estimación de buena fe muestra los costos de los artículos y servicios que "
                               "razonablemente se esperan para sus necesidades de atención médica para el "
                               "servicio indicado. Se basa en la información conocida al momento de prepararla. "
                               "Es solo una estimación: los artículos, servicios o cargos que reciba pueden ser "
                               "diferentes.",
        "disclaimer_not_included": "Esta estimación no incluye costos desconocidos o inesperados que puedan "
                                   "surgir durante el tratamiento; se le podría cobrar más si se presentan "
                                   "complicaciones o circunstancias especiales. No incluye otros artículos o "
                                   "servicios que no aparecen aquí.",
        "disclaimer_dispute": "Si se le factura más de lo indicado en esta estimación de buena fe, tiene "
                              "derecho a disputar la factura. Si el total facturado por un proveedor o centro es "
                              "de $400 o más por encima del total de cargos esperados de ese proveedor o centro "
                              "en esta estimación, puede iniciar el proceso de resolución de disputas entre "
                              "pacientes y proveedores. Debe iniciarlo dentro de los 120 días calendario "
                              "(unos 4 meses) siguientes a la fecha de la factura original. El uso del proceso "
                              "tiene un costo de $25. Si la entidad que revisa la disputa le da la razón, usted "
                              "pagará el precio de esta estimación; si se la da al proveedor, pagará el monto "
                              "más alto.",
        "disclaimer_how": "Para obtener más información y un formulario para iniciar el proceso, visite {url} "
                          "o llame al {phone}. Guarde una copia o una foto de esta estimación de buena fe y de "
                          "la factura.",
        "disclaimer_contract": "Esta estimación de buena fe no es un contrato y no le obliga a obtener los "
                               "artículos o servicios de ninguno de los proveedores o centros que aparecen en ella.",
        "questions": "Si tiene preguntas sobre esta estimación, comuníquese con {name}.",
        "lesions_one": "Destrucción de 1 lesión precancerosa de la piel (queratosis actínica)",
        "lesions_many": "Destrucción de {n} lesiones precancerosas de la piel (queratosis actínicas)",
    },
}

#: Spanish plain-language labels for the featured codes (English labels come from the tables).
SPANISH_LABELS: Final[dict[str, str]] = {
    "17000": "Destrucción de una lesión precancerosa de la piel (como una queratosis actínica): la primera",
    "17003": "Destrucción de lesiones precancerosas de la piel: cada lesión adicional, de la 2.ª a la 14.ª",
    "17004": "Destrucción de lesiones precancerosas de la piel: 15 o más en una sesión",
    "17110": "Destrucción de lesiones benignas de la piel (como verrugas): hasta 14",
    "17111": "Destrucción de lesiones benignas de la piel (como verrugas): 15 o más",
    "11102": "Biopsia de piel por rasurado: primera lesión",
    "11103": "Biopsia de piel por rasurado: cada lesión adicional",
    "11104": "Biopsia de piel con sacabocados: primera lesión",
    "11105": "Biopsia de piel con sacabocados: cada lesión adicional",
    "11106": "Biopsia de piel por incisión: primera lesión",
    "11107": "Biopsia de piel por incisión: cada lesión adicional",
    "96567": "Tratamiento con luz de la piel precancerosa (terapia fotodinámica), medicamento aplicado por el "
             "personal",
    "96573": "Tratamiento con luz de la piel precancerosa (terapia fotodinámica), medicamento aplicado por el "
             "médico",
    "96574": "Tratamiento con luz de la piel precancerosa con raspado previo (terapia fotodinámica), por el "
             "médico",
    "99202": "Consulta en el consultorio, paciente nuevo, sencilla",
    "99203": "Consulta en el consultorio, paciente nuevo, de baja complejidad",
    "99204": "Consulta en el consultorio, paciente nuevo, de complejidad moderada",
    "99205": "Consulta en el consultorio, paciente nuevo, de alta complejidad",
    "99211": "Consulta en el consultorio, paciente establecido, breve (puede no requerir a un médico)",
    "99212": "Consulta en el consultorio, paciente establecido, sencilla",
    "99213": "Consulta en el consultorio, paciente establecido, de baja complejidad",
    "99214": "Consulta en el consultorio, paciente establecido, de complejidad moderada",
    "99215": "Consulta en el consultorio, paciente establecido, de alta complejidad",
    "G2211": "Complemento de la consulta por la atención continua de una afección grave o compleja",
}

#: Place-of-service names in Spanish for the codes a dermatology practice uses most.
SPANISH_PLACES: Final[dict[str, str]] = {
    "11": "Consultorio", "22": "Hospital, servicio ambulatorio", "19": "Hospital, servicio ambulatorio "
    "fuera del campus", "24": "Centro de cirugía ambulatoria", "02": "Telemedicina fuera del hogar",
    "10": "Telemedicina en el hogar", "12": "Hogar", "21": "Hospital, paciente internado",
    "31": "Centro de enfermería especializada", "32": "Residencia de ancianos",
}

_MONTHS_ES: Final = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                     "octubre", "noviembre", "diciembre")
_MONTHS_EN: Final = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                     "October", "November", "December")


def check_lang(lang: str) -> str:
    """A supported language code.

    Raises:
        InputError: not ``en`` or ``es``.
    """
    code = (lang or "en").strip().lower()
    if code not in LANGUAGES:
        raise InputError(f"language {lang!r} is not available: use en (English) or es (Spanish)")
    return code


def text(lang: str, key: str, **values: object) -> str:
    """The catalog text ``key`` in ``lang`` with its placeholders filled."""
    template = MESSAGES[check_lang(lang)][key]
    return template.format(**values) if values else template


def money(cents: int) -> str:
    """Cents as US dollars, ``$1,234.56`` (US Spanish documents use the same form)."""
    amount = cents_to_decimal(cents)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def long_date(day: dt.date | None, lang: str) -> str:
    """``December 15, 2026`` or ``15 de diciembre de 2026``; '' for None."""
    if day is None:
        return ""
    if check_lang(lang) == "es":
        return f"{day.day} de {_MONTHS_ES[day.month - 1]} de {day.year}"
    return f"{_MONTHS_EN[day.month - 1]} {day.day}, {day.year}"


def service_label(code: str, english: str, lang: str) -> str:
    """The plain-language label of ``code``: Spanish for the featured codes, else the English label."""
    if check_lang(lang) == "es":
        return SPANISH_LABELS.get(code, english)
    return english


def place_name(place: str, lang: str) -> str:
    """``"11 Office"`` -> ``"11 Consultorio"`` in Spanish (the English name when not known)."""
    code, _, name = place.partition(" ")
    if check_lang(lang) == "es" and code in SPANISH_PLACES:
        return f"{code} {SPANISH_PLACES[code]}"
    return place if name else code


# --- the core's assumption sentences in Spanish ------------------------------------------------------------

def _describe_es(describe: str) -> str | None:
    """A payer contract description (``Payer.describe()``) in Spanish, or None when its form is unknown."""
    if describe == "Medicare Part B fee schedule":
        return "tarifa de Medicare Parte B"
    m = re.fullmatch(r"the practice's charge master(?: less (\S+)%)?", describe)
    if m:
        return "lista de precios de la práctica" + (f" con {m.group(1)}% de descuento" if m.group(1) else "")
    m = re.fullmatch(r"(\S+)% of Medicare( \d{4})? \((the visit's locality|locality (\S+))\)", describe)
    if m:
        where = "la localidad de la visita" if m.group(4) is None else f"la localidad {m.group(4)}"
        return f"{m.group(1)}% de Medicare{m.group(2) or ''} ({where})"
    m = re.fullmatch(r"own conversion factor (\S+) x CMS RVUs", describe)
    if m:
        return f"factor de conversión propio {m.group(1)} x RVU de CMS"
    m = re.fullmatch(r"fixed fee schedule \((\d+) codes\)", describe)
    if m:
        return f"tarifa fija por código ({m.group(1)} códigos)"
    return None


def _benefits_es(m: re.Match[str]) -> str:
    ded = "estándar del plan" if m["ded"] == "standard" else f"${m['ded']}"
    oop = "sin límite" if m["oop"] == "not limited" else f"${m['oop']}"
    per = "visita" if m["per"] == "visit" else "procedimiento"
    return (f"Beneficios del paciente: deducible pendiente {ded}, coseguro {m['coins']}%, copago ${m['copay']} "
            f"por {per}, máximo de gastos de bolsillo pendiente {oop}.")


_ASSUMPTIONS_ES: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...]] = (
    (re.compile(r"Allowed amounts: (?P<d>.+)\."),
     lambda m: None if (d := _describe_es(m["d"])) is None else f"Montos permitidos: {d}."),
    (re.compile(r"Part B deductible not yet met: the full (?P<y>\d{4}) deductible \$(?P<a>[\d.,]+) is assumed "
                r"to remain\."),
     lambda m: f"Deducible de la Parte B aún no cubierto: se supone que queda el deducible completo de "
               f"{m['y']}, ${m['a']}."),
    (re.compile(r"Patient benefits not entered: the patient's share is unknown\."),
     lambda m: "No se ingresaron los beneficios del paciente: su parte no se conoce."),
    (re.compile(r"Medicare's payment is reduced (?P<p>[\d.]+)% by sequestration; the patient's share is not\."),
     lambda m: f"El pago de Medicare se reduce un {m['p']}% por el secuestro presupuestario; la parte del "
               "paciente no."),
    (re.compile(r"Patient benefits: deductible remaining (?P<ded>standard|[\d.]+), coinsurance (?P<coins>[\d.]+)%, "
                r"copay (?P<copay>[\d.]+) per (?P<per>visit|procedure), out-of-pocket remaining "
                r"(?P<oop>not limited|[\d.]+)\."),
     _benefits_es),
    (re.compile(r"Copay is taken first, then the deductible, then coinsurance on the rest of each line\."),
     lambda m: "Primero se aplica el copago, luego el deducible y después el coseguro sobre el resto de cada "
               "línea."),
    (re.compile(r"A secondary plan pays (?P<p>[\d.]+)% of the patient's share\."),
     lambda m: f"Un plan secundario paga el {m['p']}% de la parte del paciente."),
    (re.compile(r"Self-pay: the patient owes the whole amount\."),
     lambda m: "Pago por cuenta propia: el paciente paga el monto total."),
    (re.compile(r"Unassigned claim \(non-participating practice\): the patient pays the practice (?P<bill>[\d.]+) "
                r"\(at most the limiting charge, 115% of the non-participating amount\); Medicare then pays the "
                r"patient (?P<back>[\d.]+) \(its share after the deductible, less sequestration\), so the "
                r"patient's own cost is (?P<net>[\d.]+)\."),
     lambda m: f"Reclamación no asignada (práctica que no participa): el paciente paga a la práctica {m['bill']} "
               "(como máximo el cargo límite, 115% del monto para no participantes); luego Medicare le paga al "
               f"paciente {m['back']} (su parte después del deducible, menos el secuestro), así que el costo "
               f"propio del paciente es {m['net']}."),
)


def assumption(sentence: str, lang: str) -> str:
    """One of the estimate's assumptions in ``lang`` (an unknown Spanish form stays in English)."""
    if check_lang(lang) == "en":
        return sentence
    for pattern, build in _ASSUMPTIONS_ES:
        m = pattern.fullmatch(sentence)
        if m:
            translated = build(m)
            if translated is not None:
                return translated
    return sentence


def translates(sentence: str) -> bool:
    """True when ``assumption`` knows a Spanish form of ``sentence`` (tests use it to catch new sentences)."""
    return assumption(sentence, "es") != sentence
