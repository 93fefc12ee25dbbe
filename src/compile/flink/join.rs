//! `join` and `left join`: a lookup table and a regular join, or, when
//! event time is in play, the lookup rows written into the query.

use super::*;

impl Compiler {
    pub(super) fn join(
        &mut self,
        j: &Join,
        rel: &Rel,
        scope: &Scope,
        name: &str,
    ) -> Result<(String, Rel, String), Untranslatable> {
        let path = Path::new(&j.file);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "json" | "jsonl" | "ndjson" => {}
            "csv" | "tsv" => {
                return no(format!(
                    "the lookup file {} is {}: Flink's csv format has no header line, and streamctl names the columns from it and types each cell by its text; convert it to JSON lines",
                    j.file,
                    ext.to_uppercase()
                ))
            }
            _ => return no(format!("cannot tell the format of lookup file {}", j.file)),
        }
        let rows = schema::read_rows(path, usize::MAX)?;
        let cols = schema::infer(&rows, path)?;
        let lookup_key = j.lookup_key.clone().unwrap_or_else(|| j.key.display_name());
        let Some(key_col) = cols.iter().find(|c| c.name == lookup_key) else {
            return no(format!(
                "lookup file {} has no column `{lookup_key}`",
                j.file
            ));
        };
        let mut seen = std::collections::HashSet::new();
        for (i, row) in rows.iter().enumerate() {
            let text = row.get(&lookup_key).and_then(crate::value::key_text);
            let Some(text) = text else {
                return no(format!(
                    "lookup file {}, row {}: no `{lookup_key}`; streamctl skips such a row, Flink's table needs its key: remove the row",
                    j.file,
                    i + 1
                ));
            };
            if !seen.insert(text.into_owned()) {
                return no(format!(
                    "lookup file {}, row {}: a second row for one `{lookup_key}`; streamctl keeps the last, a SQL join would match both: keep one row per key",
                    j.file,
                    i + 1
                ));
            }
        }
        let event_key = scope.value(&Expr {
            kind: ExprKind::Field(j.key.clone()),
            span: j.key.span,
        })?;
        let ev_key_sql = format!(
            "{}.{}",
            q("e"),
            j.key
                .parts
                .iter()
                .map(|p| q(p))
                .collect::<Vec<_>>()
                .join(".")
        );
        let lk_sql = format!("{}.{}", q("l"), q(&lookup_key));
        let cond = match (&event_key.ty, &key_col.ty) {
            (Ty::Int, Ty::Int) | (Ty::Str, Ty::Str) => format!("{ev_key_sql} = {lk_sql}"),
            (Ty::Int, Ty::Str) => format!("CAST({ev_key_sql} AS STRING) = {lk_sql}"),
            (Ty::Str, Ty::Int) => format!("{ev_key_sql} = CAST({lk_sql} AS STRING)"),
            (a, b) => {
                return no(format!(
                    "the join key is {} in the events and {} in {}; keys match by their text, translated for integers and strings",
                    a.describe(),
                    b.describe(),
                    j.file
                ))
            }
        };
        let prefix = j.prefix.clone().unwrap_or_default();
        let mut added: Vec<(Column, String)> = Vec::new();
        for c in cols.iter().filter(|c| c.name != lookup_key) {
            let out = format!("{prefix}{}", c.name);
            if rel.cols.iter().any(|e| e.name == out) || out == ROWTIME {
                return no(format!(
                    "the lookup column `{}` has the name of an event field, whose value streamctl keeps when present, even null, which a SQL column cannot tell from absent; add `prefix P`",
                    out
                ));
            }
            added.push((
                Column {
                    name: out,
                    ty: c.ty.clone(),
                },
                format!("{}.{}", q("l"), q(&c.name)),
            ));
        }
        if !self.batch && rel.rowtime {
            // With event time in play, a temporal join would release rows
            // per key in event-time order (not arrival order) and wait for
            // the lookup source's watermark, so which events a later window
            // drops as late would depend on thread timing. The table is
            // known now: inline it as CASE expressions, a stateless Calc
            // that keeps arrival order and the watermark.
            let (body, ops) =
                inline_join(j, rel, &rows, &lookup_key, &event_key, &key_col.ty, &added)?;
            let mut cols_out = rel.cols.clone();
            cols_out.extend(added.into_iter().map(|(c, _)| c));
            return Ok((
                body,
                Rel {
                    name: name.to_string(),
                    cols: cols_out,
                    rowtime: rel.rowtime,
                },
                ops,
            ));
        }
        self.after_stateless = false;
        let temporal = false;
        if !self.batch && j.left {
            return no("a left join without event time is a regular join in a streaming job, which retracts the rows it wrote before a match arrived; give the input a time field");
        }
        let table = format!("lookup_{}", self.lookups.len() + 1);
        let mut lines: Vec<String> = cols
            .iter()
            .map(|c| format!("  {} {}", q(&c.name), c.ty.sql()))
            .collect();
        if temporal {
            // Every row is valid from the epoch on: the table never changes
            // while the job runs (streamctl's reloads have no equivalent).
            lines.push(format!("  {} AS TO_TIMESTAMP_LTZ(0, 3)", q("lookup_time")));
            lines.push(format!(
                "  WATERMARK FOR {} AS {}",
                q("lookup_time"),
                q("lookup_time")
            ));
            lines.push(format!("  PRIMARY KEY ({}) NOT ENFORCED", q(&lookup_key)));
        }
        self.lookups.push(format!(
            "-- the lookup file of `{}join {}`\nCREATE TEMPORARY TABLE {} (\n{}\n) WITH (\n{}\n);\n",
            if j.left { "left " } else { "" },
            j.file,
            q(&table),
            lines.join(",\n"),
            with_options(&[
                ("connector".into(), "filesystem".into()),
                ("path".into(), absolute(path)),
                ("format".into(), "json".into()),
            ])
        ));
        let mut items: Vec<String> = rel
            .cols
            .iter()
            .map(|c| format!("{}.{}", q("e"), q(&c.name)))
            .collect();
        items.extend(
            added
                .iter()
                .map(|(c, sql)| format!("{sql} AS {}", q(&c.name))),
        );
        if rel.rowtime {
            items.push(format!("{}.{}", q("e"), q(ROWTIME)));
        }
        let join_kw = if j.left { "LEFT JOIN" } else { "JOIN" };
        let system_time = if temporal {
            format!(" FOR SYSTEM_TIME AS OF {}.{}", q("e"), q(ROWTIME))
        } else {
            String::new()
        };
        let body = format!(
            "SELECT {}\nFROM {} AS {}\n{join_kw} {}{system_time} AS {}\n  ON {cond}",
            items.join(", "),
            q(&rel.name),
            q("e"),
            q(&table),
            q("l")
        );
        let mut cols_out = rel.cols.clone();
        cols_out.extend(added.into_iter().map(|(c, _)| c));
        Ok((
            body,
            Rel {
                name: name.to_string(),
                cols: cols_out,
                rowtime: rel.rowtime,
            },
            format!(
                "{} ({}) with table `{table}` over {}",
                if temporal { "TemporalJoin" } else { "Join" },
                if temporal {
                    "event time: each event meets the table as of its time"
                } else if self.batch {
                    "regular, batch"
                } else {
                    "regular, inner"
                },
                j.file
            ),
        ))
    }
}

/// The most lookup rows a join with event time inlines into its view.
pub(super) const INLINE_LOOKUP_ROWS: usize = 10_000;

/// A join with a lookup file as a Calc: each lookup column becomes
/// `CASE <event key text> WHEN '<key>' THEN <value> … END`, an inner join
/// keeps the events whose key is among the keys. Keys match by text, as
/// streamctl's join does (the number 12 matches the text "12").
#[allow(clippy::too_many_arguments)]
pub(super) fn inline_join(
    j: &Join,
    rel: &Rel,
    rows: &[Map<String, Value>],
    lookup_key: &str,
    event_key: &Sx,
    lookup_key_ty: &Ty,
    added: &[(Column, String)],
) -> Result<(String, String), Untranslatable> {
    if rows.len() > INLINE_LOOKUP_ROWS {
        return no(format!(
            "the lookup file {} has {} rows; with event time the compiled job writes the table into the query (a temporal join would release rows in event-time order and wait for the table's watermark, so late events would depend on timing), up to {INLINE_LOOKUP_ROWS} rows",
            j.file,
            rows.len()
        ));
    }
    let ev_text = match (&event_key.ty, lookup_key_ty) {
        (Ty::Int, Ty::Int | Ty::Str) => format!("CAST({} AS STRING)", event_key.sql),
        (Ty::Str, Ty::Int | Ty::Str) => event_key.sql.clone(),
        (a, b) => {
            return no(format!(
                "the join key is {} in the events and {} in {}; keys match by their text, translated for integers and strings",
                a.describe(),
                b.describe(),
                j.file
            ))
        }
    };
    let keys: Vec<String> = rows
        .iter()
        .map(|r| {
            r.get(lookup_key)
                .and_then(crate::value::key_text)
                .map(|t| sql_string(&t))
                .unwrap_or_default()
        })
        .collect();
    let mut items: Vec<String> = rel.cols.iter().map(|c| q(&c.name)).collect();
    let prefix = j.prefix.as_deref().unwrap_or("");
    for (col, _) in added {
        let source = &col.name[prefix.len()..];
        let mut case = format!("CASE {ev_text}");
        for (row, key) in rows.iter().zip(&keys) {
            let lit = literal(row.get(source).unwrap_or(&Value::Null), &col.ty).ok_or_else(|| {
                format!(
                    "the lookup column `{source}` of {} is {}; inlined lookup values are translated for strings, numbers and booleans",
                    j.file,
                    col.ty.describe()
                )
            })?;
            let _ = write!(case, " WHEN {key} THEN {lit}");
        }
        let _ = write!(case, " END AS {}", q(&col.name));
        items.push(case);
    }
    if rel.rowtime {
        items.push(q(ROWTIME));
    }
    let mut body = format!(
        "SELECT {}
FROM {}",
        items.join(
            ",
  "
        ),
        q(&rel.name)
    );
    if !j.left {
        let _ = write!(
            body,
            "
WHERE {ev_text} IN ({})",
            keys.join(", ")
        );
    }
    Ok((
        body,
        format!(
            "Calc ({}join with the {} rows of {} written into the query: arrival order and the watermark stay as they are)",
            if j.left { "left " } else { "" },
            rows.len(),
            j.file
        ),
    ))
}

/// A lookup value as a SQL literal of the column's type; `None` for nested values.
pub(super) fn literal(v: &Value, ty: &Ty) -> Option<String> {
    let lit = match v {
        Value::Null => "NULL".to_string(),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Number(n) => match (ty, n.as_i64()) {
            (Ty::Int, Some(i)) => i.to_string(),
            _ => crate::compile::expr::sql_double(n.as_f64()?),
        },
        Value::String(s) => sql_string(s),
        _ => return None,
    };
    match ty {
        Ty::Int | Ty::Float | Ty::Str | Ty::Bool | Ty::Null => {
            Some(format!("CAST({lit} AS {})", ty.sql()))
        }
        _ => None,
    }
}
