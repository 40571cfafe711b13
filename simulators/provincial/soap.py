"""SOAP 1.1 envelopes with lxml: parsing and validating a request against the WSDL's inline schema, building the
answers in the schema's element order, and faults (soap:Client / soap:Server with tns:errorCode and
tns:errorMessage in the detail)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from lxml import etree

from simulators.provincial.generator import KIND_ELEMENT, PAYLOAD_FIELDS

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:hebei:hrss:retiree-exchange:v1"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
WSDL_PATH = Path(__file__).resolve().parent / "wsdl" / "retiree_exchange.wsdl"
OPERATIONS = ("GetChanges", "GetRetiree", "PushBusinessRecord", "GetStatusDigest")
CONTENT_TYPE = "text/xml; charset=utf-8"
_NSMAP = {"soap": SOAP_ENV, "tns": TNS}


class SoapFault(Exception):
    """A fault the platform answers: ``side`` "Client" (the request is wrong) or "Server" (transient)."""

    def __init__(self, side: Literal["Client", "Server"], error_code: str, message: str) -> None:
        super().__init__(f"{side}/{error_code}: {message}")
        self.side = side
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class SoapRequest:
    operation: str
    element: etree._Element

    def text(self, name: str) -> str | None:
        child = self.element.find(f"{{{TNS}}}{name}")
        return None if child is None else (child.text or "")

    def texts(self, name: str) -> list[str]:
        return [child.text or "" for child in self.element.findall(f"{{{TNS}}}{name}")]


def wsdl_document(address: str) -> bytes:
    """The WSDL with ``address`` as the port's soap:address location."""
    tree = copy.deepcopy(_wsdl_tree())
    for location in tree.iter(f"{{{WSDL_SOAP_NS}}}address"):
        location.set("location", address)
    return bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))


@lru_cache(maxsize=1)
def _wsdl_tree() -> etree._ElementTree:
    return etree.parse(str(WSDL_PATH), _parser())


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    schema = _wsdl_tree().find(f"{{{WSDL_NS}}}types/{{{XSD}}}schema")
    if schema is None:
        raise RuntimeError("the WSDL has no inline schema")
    return etree.XMLSchema(copy.deepcopy(schema))


def _parser() -> etree.XMLParser:
    # No entities, no network, no huge trees: a request body is untrusted input.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


def parse_request(body: bytes) -> SoapRequest:
    """The operation element of a SOAP 1.1 request, validated against the schema; a soap:Client fault otherwise."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        raise SoapFault("Client", "InvalidRequest", f"请求报文不是合法的XML：{error}") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault("Client", "InvalidRequest", "请求报文不是SOAP 1.1信封（soap:Envelope）")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    operations = [] if soap_body is None else [el for el in soap_body if isinstance(el.tag, str)]
    if not operations:
        raise SoapFault("Client", "InvalidRequest", "请求报文缺少soap:Body或其中没有操作元素")
    element = operations[0]
    qname = etree.QName(element)
    if qname.namespace != TNS or qname.localname not in OPERATIONS:
        raise SoapFault("Client", "UnknownOperation", f"不支持的操作：{qname.text}")
    schema = _schema()
    if not schema.validate(element):
        last = schema.error_log.last_error
        raise SoapFault("Client", "InvalidRequest", f"请求内容不符合接口规范：{last.message if last else ''}")
    return SoapRequest(qname.localname, element)


def _envelope(content: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=_NSMAP)
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(content)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _add(parent: etree._Element, name: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, f"{{{TNS}}}{name}").text = text


def _add_fields(parent: etree._Element, fields: Sequence[str], values: Mapping[str, str | None]) -> None:
    for name in fields:
        _add(parent, name, values.get(name))


def _boolean(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class ChangeOut:
    record_id: str
    kind: str
    changed_at: datetime
    payload: Mapping[str, str]


def changes_response(records: Iterable[ChangeOut], next_cursor: str, has_more: bool) -> bytes:
    response = etree.Element(f"{{{TNS}}}GetChangesResponse", nsmap={"tns": TNS})
    for record in records:
        element = etree.SubElement(response, f"{{{TNS}}}records")
        _add(element, "recordId", record.record_id)
        _add(element, "kind", record.kind)
        _add(element, "changedAt", record.changed_at.isoformat())
        payload = etree.SubElement(element, f"{{{TNS}}}{KIND_ELEMENT[record.kind]}")
        _add_fields(payload, PAYLOAD_FIELDS[record.kind], record.payload)
    _add(response, "nextCursor", next_cursor)
    _add(response, "hasMore", _boolean(has_more))
    return _envelope(response)


def retiree_response(retiree: Mapping[str, str | None]) -> bytes:
    response = etree.Element(f"{{{TNS}}}GetRetireeResponse", nsmap={"tns": TNS})
    _add_fields(etree.SubElement(response, f"{{{TNS}}}retiree"), PAYLOAD_FIELDS["NEW_RETIREE"], retiree)
    return _envelope(response)


def ack_response(receipt_no: str, duplicate: bool) -> bytes:
    response = etree.Element(f"{{{TNS}}}PushBusinessRecordResponse", nsmap={"tns": TNS})
    _add(response, "accepted", "true")
    _add(response, "receiptNo", receipt_no)
    _add(response, "duplicate", _boolean(duplicate))
    return _envelope(response)


DIGEST_FIELDS = ("aac001", "aae116", "statusCode", "digest")


def digest_response(count: int, entries: Iterable[Mapping[str, str]]) -> bytes:
    response = etree.Element(f"{{{TNS}}}GetStatusDigestResponse", nsmap={"tns": TNS})
    _add(response, "count", str(count))
    for entry in entries:
        _add_fields(etree.SubElement(response, f"{{{TNS}}}entries"), DIGEST_FIELDS, entry)
    return _envelope(response)


def fault_response(fault: SoapFault) -> bytes:
    element = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap=_NSMAP)
    # SOAP 1.1: faultcode, faultstring and detail are unqualified.
    etree.SubElement(element, "faultcode").text = f"soap:{fault.side}"
    etree.SubElement(element, "faultstring").text = fault.message
    detail = etree.SubElement(element, "detail")
    _add(detail, "errorCode", fault.error_code)
    _add(detail, "errorMessage", fault.message)
    return _envelope(element)
