"""The set-based half of validation and the reconciliation report of a staged run (issue 17).

Runs after staging, as a handful of UPDATE … FROM and INSERT … SELECT statements over the run's staging rows:
duplicates, references between tables (an archive's person and community, a street's district), persons the
registry already has (merged by ID number) or whose personal number belongs to someone else, the state each
person's history ends in; then the report — per table (read, would import, would merge, refused), per status, and
the differences between the registry's province-synced fields and the old system's for the same people. Running it
twice gives the same report (every refusal it sets, it first clears).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.legacy import purge
from domain.legacy.schema import Mapping, TableCode
from domain.legacy.validate import RefusalCode

_SET = "problem_code = '{code}', problem_column = :column, problem_message = {message}"


def _where(file: str, column: str, label: str) -> str:
    return f"'{file} 第' || s.row_no || '行 {column}（{label}）：'"


async def _run(session: AsyncSession, sql: str, **params: object) -> None:
    await session.execute(text(sql), params)


async def _clear(session: AsyncSession, run_id: int) -> None:
    """Clear the refusals this module sets (row checks' own refusals stay)."""
    codes = ", ".join(
        f"'{c.value}'"
        for c in (
            RefusalCode.DUPLICATE_PERSON,
            RefusalCode.DUPLICATE_ROW,
            RefusalCode.NO_ARCHIVE,
            RefusalCode.NO_PERSON,
            RefusalCode.PERSON_REFUSED,
            RefusalCode.UNKNOWN_COMMUNITY,
            RefusalCode.UNKNOWN_PARENT,
            RefusalCode.NUMBER_TAKEN,
            RefusalCode.CHANGE_BEFORE_REGISTRATION,
        )
    )
    for table in ("legacy_stage_unit", "legacy_stage_person", "legacy_stage_archive", "legacy_stage_event"):
        await _run(
            session,
            f"UPDATE {table} SET problem_code = NULL, problem_column = NULL, problem_message = NULL "
            f"WHERE run_id = :run AND problem_code IN ({codes})",
            run=run_id,
        )
    await _run(
        session,
        "UPDATE legacy_stage_archive SET final_status = NULL WHERE run_id = :run AND final_status IS NOT NULL",
        run=run_id,
    )


async def _duplicates(session: AsyncSession, run_id: int, mapping: Mapping, table: TableCode, key: str) -> None:
    """Later rows repeating the key of an earlier clean row of the same table are refused, naming the first."""
    target = "legacy_stage_person" if table == TableCode.AC01 else "legacy_stage_archive"
    keyed = ""
    if table in (TableCode.AF08, TableCode.AF02, TableCode.AB01):
        target, keyed = "legacy_stage_unit", " AND table_code = :table"
    column = mapping.column(table, key)
    file = mapping.tables[table].file
    message = _where(file, column, "编码" if key == "code" else "个人编号") + " || '与第' || f.first_row || '行重复'"
    await _run(
        session,
        f"""
        UPDATE {target} s SET {_SET.format(code=RefusalCode.DUPLICATE_ROW.value, message=message)}
        FROM (
            SELECT row_no, first_value(row_no) OVER (PARTITION BY {key} ORDER BY row_no) AS first_row
            FROM {target} WHERE run_id = :run{keyed} AND problem_code IS NULL
        ) f
        WHERE s.run_id = :run{keyed.replace("table_code", "s.table_code")} AND s.row_no = f.row_no
          AND f.row_no <> f.first_row
        """,
        run=run_id,
        table=table.value,
        column=column,
    )


async def _units(session: AsyncSession, run_id: int, mapping: Mapping) -> None:
    for table in (TableCode.AF08, TableCode.AF02, TableCode.AB01):
        await _duplicates(session, run_id, mapping, table, "code")
    af08, af02 = mapping.tables[TableCode.AF08], mapping.tables[TableCode.AF02]
    street = _where(af08.file, af08.columns["parent_code"], "上级编码")
    await _run(
        session,
        f"""
        UPDATE legacy_stage_unit s SET {
            _SET.format(
                code=RefusalCode.UNKNOWN_PARENT.value,
                message=street + " || '所属县区“' || s.parent_code || '”不是本系统的县区经办机构'",
            )
        }
        WHERE s.run_id = :run AND s.table_code = 'AF08' AND s.problem_code IS NULL
          AND NOT EXISTS (SELECT 1 FROM institution d WHERE d.code = s.parent_code AND d.level = 'district')
        """,
        run=run_id,
        column=af08.columns["parent_code"],
    )
    community = _where(af02.file, af02.columns["parent_code"], "上级编码")
    await _run(
        session,
        f"""
        UPDATE legacy_stage_unit s SET {
            _SET.format(
                code=RefusalCode.UNKNOWN_PARENT.value,
                message=community + " || '所属街道“' || s.parent_code || '”既不在AF08中也不在本系统中'",
            )
        }
        WHERE s.run_id = :run AND s.table_code = 'AF02' AND s.problem_code IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM legacy_stage_unit p
              WHERE p.run_id = :run AND p.table_code = 'AF08' AND p.code = s.parent_code AND p.problem_code IS NULL)
          AND NOT EXISTS (SELECT 1 FROM institution i WHERE i.code = s.parent_code AND i.level = 'street')
        """,
        run=run_id,
        column=af02.columns["parent_code"],
    )


async def _persons(session: AsyncSession, run_id: int, mapping: Mapping) -> None:
    ac01 = mapping.tables[TableCode.AC01]
    await _duplicates(session, run_id, mapping, TableCode.AC01, "personal_number")
    same = (
        _where(ac01.file, ac01.columns["id_number"], "身份证号码")
        + " || '与第' || f.first_row || '行（个人编号 ' || f.first_number || '）身份证号码相同，为同一人重复录入'"
    )
    await _run(
        session,
        f"""
        UPDATE legacy_stage_person s SET {_SET.format(code=RefusalCode.DUPLICATE_PERSON.value, message=same)}
        FROM (
            SELECT row_no,
                   first_value(row_no) OVER w AS first_row, first_value(personal_number) OVER w AS first_number
            FROM legacy_stage_person WHERE run_id = :run AND problem_code IS NULL
            WINDOW w AS (PARTITION BY id_number ORDER BY row_no)
        ) f
        WHERE s.run_id = :run AND s.row_no = f.row_no AND f.row_no <> f.first_row
        """,
        run=run_id,
        column=ac01.columns["id_number"],
    )
    taken = (
        _where(ac01.file, ac01.columns["personal_number"], "个人编号")
        + " || '本系统中该个人编号属于另一身份证号码 ' || left(r.id_number, 6) || '********' || right(r.id_number, 4)"
    )
    await _run(
        session,
        f"""
        UPDATE legacy_stage_person s SET {_SET.format(code=RefusalCode.NUMBER_TAKEN.value, message=taken)}
        FROM retiree r
        WHERE s.run_id = :run AND s.problem_code IS NULL AND r.personal_number = s.personal_number
          AND r.id_number <> s.id_number
        """,
        run=run_id,
        column=ac01.columns["personal_number"],
    )


async def _archives(session: AsyncSession, run_id: int, mapping: Mapping) -> None:
    ic10 = mapping.tables[TableCode.IC10]
    number = ic10.columns["personal_number"]
    where = _where(ic10.file, number, "个人编号")
    await _run(
        session,
        f"""
        UPDATE legacy_stage_archive s SET
            problem_code = CASE WHEN p.row_no IS NULL THEN '{RefusalCode.NO_PERSON.value}'
                                ELSE '{RefusalCode.PERSON_REFUSED.value}' END,
            problem_column = :column,
            problem_message = {where} || CASE WHEN p.row_no IS NULL THEN '人员“' || s.personal_number || '”不在AC01中'
                ELSE '该人员在AC01第' || p.row_no || '行被拒绝：' || p.problem_message END
        FROM legacy_stage_archive s2
        LEFT JOIN LATERAL (
            SELECT row_no, problem_message FROM legacy_stage_person p
            WHERE p.run_id = :run AND p.personal_number = s2.personal_number
            ORDER BY (p.problem_code IS NULL) DESC, row_no LIMIT 1
        ) p ON true
        WHERE s.run_id = :run AND s2.run_id = :run AND s2.row_no = s.row_no AND s.problem_code IS NULL
          AND (p.row_no IS NULL OR p.problem_message IS NOT NULL)
        """,
        run=run_id,
        column=number,
    )
    await _duplicates(session, run_id, mapping, TableCode.IC10, "personal_number")
    column = ic10.columns["community_code"]
    message = _where(ic10.file, column, "管理社区") + " || '社区“' || s.community_code || '”既不在AF02中也不在本系统中'"
    await _run(
        session,
        f"""
        UPDATE legacy_stage_archive s SET {_SET.format(code=RefusalCode.UNKNOWN_COMMUNITY.value, message=message)}
        WHERE s.run_id = :run AND s.problem_code IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM legacy_stage_unit u
              WHERE u.run_id = :run AND u.table_code = 'AF02' AND u.code = s.community_code AND u.problem_code IS NULL)
          AND NOT EXISTS (SELECT 1 FROM institution i WHERE i.code = s.community_code AND i.level = 'community')
        """,
        run=run_id,
        column=column,
    )
    ac01 = mapping.tables[TableCode.AC01]
    no_archive = (
        _where(ac01.file, ac01.columns["personal_number"], "个人编号")
        + " || coalesce('离退休档案在IC10第' || a.row_no || '行被拒绝：' || a.problem_message,"
        + " 'IC10中没有该人员的离退休档案')"
    )
    await _run(
        session,
        f"""
        UPDATE legacy_stage_person s SET {_SET.format(code=RefusalCode.NO_ARCHIVE.value, message=no_archive)}
        FROM legacy_stage_person s2
        LEFT JOIN LATERAL (
            SELECT row_no, problem_message FROM legacy_stage_archive a
            WHERE a.run_id = :run AND a.personal_number = s2.personal_number ORDER BY row_no LIMIT 1
        ) a ON true
        WHERE s.run_id = :run AND s2.run_id = :run AND s2.row_no = s.row_no AND s.problem_code IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM legacy_stage_archive x
              WHERE x.run_id = :run AND x.personal_number = s.personal_number AND x.problem_code IS NULL)
        """,
        run=run_id,
        column=ac01.columns["personal_number"],
    )


async def _events(session: AsyncSession, run_id: int, mapping: Mapping) -> None:
    for table in (TableCode.AC60, TableCode.AEF1):
        spec = mapping.tables[table]
        number = spec.columns["personal_number"]
        where = _where(spec.file, number, "个人编号")
        await _run(
            session,
            f"""
            UPDATE legacy_stage_event s SET
                problem_code = CASE WHEN NOT EXISTS (
                    SELECT 1 FROM legacy_stage_person p WHERE p.run_id = :run AND p.personal_number = s.personal_number)
                    THEN '{RefusalCode.NO_PERSON.value}' ELSE '{RefusalCode.PERSON_REFUSED.value}' END,
                problem_column = :column,
                problem_message = {where} || '人员“' || s.personal_number || '”' || CASE WHEN NOT EXISTS (
                    SELECT 1 FROM legacy_stage_person p WHERE p.run_id = :run AND p.personal_number = s.personal_number)
                    THEN '不在AC01中' ELSE '的人员记录被拒绝，其记录不导入' END
            WHERE s.run_id = :run AND s.table_code = :table AND s.problem_code IS NULL
              AND NOT EXISTS (
                  SELECT 1 FROM legacy_stage_person p
                  WHERE p.run_id = :run AND p.personal_number = s.personal_number AND p.problem_code IS NULL)
            """,
            run=run_id,
            table=table.value,
            column=number,
        )
        date_column = spec.columns["on_date"]
        early = _where(spec.file, date_column, "日期") + " || s.on_date || ' 早于该人员的登记日期 ' || a.registered_on"
        await _run(
            session,
            f"""
            UPDATE legacy_stage_event s SET {
                _SET.format(code=RefusalCode.CHANGE_BEFORE_REGISTRATION.value, message=early)
            }
            FROM legacy_stage_archive a
            WHERE s.run_id = :run AND s.table_code = :table AND s.problem_code IS NULL
              AND a.run_id = :run AND a.personal_number = s.personal_number AND a.problem_code IS NULL
              AND s.on_date < a.registered_on
            """,
            run=run_id,
            table=table.value,
            column=date_column,
        )
    # The state each history ends in: the last clean change (resumed = back to registered), else registered.
    await _run(
        session,
        """
        UPDATE legacy_stage_archive a SET final_status = x.final_status
        FROM (
            SELECT DISTINCT ON (e.personal_number) e.personal_number,
                   CASE e.kind WHEN 'resumed' THEN 'registered' ELSE e.kind END AS final_status
            FROM legacy_stage_event e
            WHERE e.run_id = :run AND e.table_code = 'AEF1' AND e.problem_code IS NULL
            ORDER BY e.personal_number, e.on_date DESC, e.row_no DESC
        ) x
        WHERE a.run_id = :run AND a.problem_code IS NULL AND a.personal_number = x.personal_number
        """,
        run=run_id,
    )
    await _run(
        session,
        "UPDATE legacy_stage_archive SET final_status = 'registered' "
        "WHERE run_id = :run AND problem_code IS NULL AND final_status IS NULL",
        run=run_id,
    )


_TABLE_COUNTS = """
WITH merged AS (
    SELECT p.personal_number FROM legacy_stage_person p JOIN retiree r ON r.id_number = p.id_number
    WHERE p.run_id = :run AND p.problem_code IS NULL
), counts AS (
    SELECT table_code,
           count(*) FILTER (WHERE problem_code IS NULL AND NOT merged) AS would_import,
           count(*) FILTER (WHERE problem_code IS NULL AND merged) AS would_merge,
           count(*) FILTER (WHERE problem_code IS NOT NULL) AS refused
    FROM (
        SELECT u.table_code, u.problem_code, coalesce(e.code, i.code) IS NOT NULL AS merged
        FROM legacy_stage_unit u
        LEFT JOIN employer e ON u.table_code = 'AB01' AND e.code = u.code
        LEFT JOIN institution i ON u.table_code <> 'AB01' AND i.code = u.code
        WHERE u.run_id = :run
        UNION ALL
        SELECT 'AC01', p.problem_code, m.personal_number IS NOT NULL
        FROM legacy_stage_person p LEFT JOIN merged m ON m.personal_number = p.personal_number
        WHERE p.run_id = :run
        UNION ALL
        SELECT 'IC10', a.problem_code, m.personal_number IS NOT NULL
        FROM legacy_stage_archive a LEFT JOIN merged m ON m.personal_number = a.personal_number
        WHERE a.run_id = :run
        UNION ALL
        SELECT e.table_code, e.problem_code, m.personal_number IS NOT NULL
        FROM legacy_stage_event e LEFT JOIN merged m ON m.personal_number = e.personal_number
        WHERE e.run_id = :run
    ) rows
    GROUP BY table_code
)
UPDATE legacy_run_table t SET would_import = coalesce(c.would_import, 0), would_merge = coalesce(c.would_merge, 0),
    refused = coalesce(c.refused, 0)
FROM legacy_run_table t2 LEFT JOIN counts c ON c.table_code = t2.table_code
WHERE t.run_id = :run AND t2.run_id = :run AND t2.table_code = t.table_code
"""

_CLEAN_PEOPLE = """
    SELECT p.personal_number, p.id_number, p.name, a.final_status, a.payment_status, r.id AS retiree_id,
           r.personal_number AS registry_number, r.name AS registry_name, r.status AS registry_status,
           r.payment_status AS registry_payment
    FROM legacy_stage_person p
    JOIN legacy_stage_archive a ON a.run_id = p.run_id AND a.personal_number = p.personal_number
         AND a.problem_code IS NULL
    LEFT JOIN retiree r ON r.id_number = p.id_number
    WHERE p.run_id = :run AND p.problem_code IS NULL
"""


async def _report(session: AsyncSession, run_id: int) -> None:
    await _run(session, _TABLE_COUNTS, run=run_id)
    await _run(session, "DELETE FROM legacy_run_status WHERE run_id = :run", run=run_id)
    await _run(
        session,
        f"""
        INSERT INTO legacy_run_status (run_id, status, people, merged)
        SELECT :run, final_status, count(*), count(retiree_id) FROM ({_CLEAN_PEOPLE}) c GROUP BY final_status
        """,
        run=run_id,
    )
    await _run(session, "DELETE FROM legacy_run_difference WHERE run_id = :run", run=run_id)
    await _run(
        session,
        f"""
        INSERT INTO legacy_run_difference (run_id, retiree_id, personal_number, field, registry_value, legacy_value)
        SELECT :run, c.retiree_id, c.registry_number, d.field, d.registry_value, d.legacy_value
        FROM ({_CLEAN_PEOPLE}) c
        CROSS JOIN LATERAL (VALUES
            ('name', c.registry_name, c.name),
            ('status', c.registry_status, c.final_status),
            ('payment_status', c.registry_payment, c.payment_status)
        ) d(field, registry_value, legacy_value)
        WHERE c.retiree_id IS NOT NULL AND d.registry_value IS DISTINCT FROM d.legacy_value
        ORDER BY c.retiree_id, d.field
        """,
        run=run_id,
    )


async def reconcile(session: AsyncSession, run_id: int, mapping: Mapping) -> None:
    """Validate the staged run across tables and write its report (see the module's docstring)."""
    await _clear(session, run_id)
    await _units(session, run_id, mapping)
    await _persons(session, run_id, mapping)
    await _archives(session, run_id, mapping)
    await _events(session, run_id, mapping)
    await _report(session, run_id)
    await purge.keep_refusals(session, run_id)  # the refusals outlive the staging rows
