"""What the console's retiree pages need from the staff API (issue 13): the retiree search sorted server-side by an
allow-listed column, ascending or descending, then by personal number; any other sort refused."""

from __future__ import annotations

from datetime import date

import pytest

from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


async def test_6_3_the_retiree_search_sorts_by_an_allowed_column_only(registry_hub: Hub, api: Api) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[0], "operator")
        births = [date(1950, 3, 1), date(1945, 7, 9), date(1958, 1, 20)]
        names = ["赵一", "钱二", "孙三"]
        for name, birth in zip(names, births, strict=True):
            await factories.retiree(session, tree.communities[0], name=name, birth=birth)
    headers = await api.token(operator.username)

    async def order(sort: str) -> list[str]:
        answer = await api.call("GET", "/api/v1/retirees", headers, params={"sort": sort})
        assert answer.status_code == 200, answer.text
        return [item["birth_date"] for item in answer.json()["items"]]

    assert await order("birth_date") == ["1945-07-09", "1950-03-01", "1958-01-20"]
    assert await order("-birth_date") == ["1958-01-20", "1950-03-01", "1945-07-09"]
    default = (await api.call("GET", "/api/v1/retirees", headers)).json()["items"]
    numbers = [item["personal_number"] for item in default]
    assert numbers == sorted(numbers)

    for refused in ("id_number", "-phone", "name;drop", "--name"):
        answer = await api.call("GET", "/api/v1/retirees", headers, params={"sort": refused})
        assert answer.status_code == 422 and answer.json()["code"] == "INVALID_REQUEST", answer.text
