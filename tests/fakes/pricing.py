"""AWS Price List API (JSON 1.1: POST / with X-Amz-Target AWSPriceListService.GetProducts).

Answers PriceList entries as the real API does: JSON documents in strings, with OnDemand
terms and hourly price dimensions. moto has no Pricing API, hence this fake.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.base import FakeServer, Request, Response


class FakePricing(FakeServer):
    def __init__(self, prices: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.prices = prices  # (service code, instanceType) → USD per hour
        self.asked: list[dict[str, Any]] = []
        self.route("POST", "/")(self._dispatch)

    def _dispatch(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        if target != "AWSPriceListService.GetProducts":
            return Response(400, {"__type": "InvalidParameterException", "Message": f"unknown target {target}"})
        body = request.json()
        self.asked.append(body)
        fields = {f["Field"]: f["Value"] for f in body.get("Filters", [])}
        price = self.prices.get((body["ServiceCode"], fields.get("instanceType", "")))
        if price is None:
            return Response(200, {"FormatVersion": "aws_v1", "PriceList": []})
        product = {
            "product": {"sku": "SKU1", "attributes": fields},
            "terms": {
                "OnDemand": {
                    "SKU1.JRTCKXETXF": {
                        "priceDimensions": {
                            "SKU1.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": price}}
                        }
                    }
                }
            },
        }
        return Response(
            200,
            {"FormatVersion": "aws_v1", "PriceList": [json.dumps(product)]},
            {"Content-Type": "application/x-amz-json-1.1"},
        )
