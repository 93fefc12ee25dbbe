//! Aggregates and `top`: window table functions, GROUP BY, Top-N, and each
//! aggregate call's SQL.

use super::*;

impl Compiler {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn top(
        &mut self,
        n: u64,
        keys: &[KeyItem],
        by: Option<&AggCall>,
        window: Option<&Window>,
        rel: &Rel,
        scope: &Scope,
        name: &str,
    ) -> Result<(String, Rel, String), Untranslatable> {
        let (agg_sql, agg_ty, agg_name) = match by {
            Some(call) => {
                if window.is_none() {
                    arrival_order_agg(call)?;
                }
                let (sql, ty) = agg_call(scope, call, &self.shifts)?;
                (sql, ty, call.name.clone())
            }
            None => ("COUNT(*)".to_string(), Ty::Int, "count".to_string()),
        };
        if !matches!(agg_ty, Ty::Int | Ty::Float | Ty::Str | Ty::Null) {
            return no(format!(
                "`{agg_name}` is {}; top orders numbers and strings",
                agg_ty.describe()
            ));
        }
        let mut key_items = Vec::new();
        let mut group = Vec::new();
        let mut cols = Vec::new();
        let mut outer = Vec::new();
        let (from, what, rowtime) = match window {
            Some(w) => {
                if !rel.rowtime {
                    return no("the window needs event time, which the rows lost at an earlier aggregate without a window");
                }
                if rel.cols.iter().any(|c| {
                    matches!(
                        c.name.as_str(),
                        "window_start" | "window_end" | "window_time"
                    )
                }) {
                    return no("its input already has `window_start`/`window_end` columns, which Flink's window functions add again; `drop` or `rename` them first");
                }
                let table = q(&rel.name);
                let time = format!("DESCRIPTOR({})", q(ROWTIME));
                let tvf = match w.kind {
                    WindowKind::Tumbling { size } => {
                        format!("TUMBLE(TABLE {table}, {time}, {})", interval(size))
                    }
                    WindowKind::Hopping { size, slide } => {
                        if size % slide != 0 {
                            return no(format!(
                                "Flink's HOP needs the size ({}) to be a multiple of the slide ({})",
                                duration(size),
                                duration(slide)
                            ));
                        }
                        hop_mergeable(by.iter().copied())?;
                        format!(
                            "HOP(TABLE {table}, {time}, {}, {})",
                            interval(slide),
                            interval(size)
                        )
                    }
                    // streamctl's top sessions are those of the whole stream.
                    WindowKind::Session { gap } => {
                        format!("SESSION(TABLE {table}, {time}, {})", interval(gap))
                    }
                };
                for col in ["window_start", "window_end", "window_time"] {
                    key_items.push(q(col));
                    group.push(q(col));
                }
                for col in ["window_start", "window_end"] {
                    outer.push(format!(
                        "DATE_FORMAT({}, '{RFC3339_MS}') AS {}",
                        q(col),
                        q(col)
                    ));
                    cols.push(Column {
                        name: col.into(),
                        ty: Ty::Str,
                    });
                }
                (format!("TABLE({tvf})"), "window Top-N (WindowRank)", true)
            }
            None => (q(&rel.name), "Top-N (Rank over the GROUP BY result)", false),
        };
        for k in keys {
            let (v, sql) = key_value(scope, k, "keys are")?;
            key_items.push(if sql == q(&k.name) {
                sql.clone()
            } else {
                format!("{sql} AS {}", q(&k.name))
            });
            group.push(sql);
            outer.push(q(&k.name));
            cols.push(Column {
                name: k.name.clone(),
                ty: v.ty,
            });
        }
        key_items.push(format!("{agg_sql} AS {}", q(&agg_name)));
        outer.push(q(&agg_name));
        cols.push(Column {
            name: agg_name.clone(),
            ty: agg_ty,
        });
        if rowtime {
            outer.push(format!("{} AS {}", q("window_time"), q(ROWTIME)));
        }
        let partition = if rowtime {
            format!("PARTITION BY {}, {} ", q("window_start"), q("window_end"))
        } else {
            String::new()
        };
        let group_by = if group.is_empty() {
            String::new()
        } else {
            format!("\n    GROUP BY {}", group.join(", "))
        };
        let body = format!(
            "SELECT {}\nFROM (\n  SELECT *, ROW_NUMBER() OVER ({partition}ORDER BY {} DESC NULLS LAST) AS {}\n  FROM (\n    SELECT {}\n    FROM {from}{group_by}\n  )\n)\nWHERE {} <= {n}",
            outer.join(", "),
            q(&agg_name),
            q("rn"),
            key_items.join(", "),
            q("rn"),
        );
        Ok((
            body,
            Rel {
                name: name.to_string(),
                cols,
                rowtime,
            },
            format!("{what}: ROW_NUMBER by `{agg_name}` descending, rank <= {n} (ties at rank {n} may pick other groups than streamctl's first-seen order)"),
        ))
    }

    pub(super) fn aggregate(
        &mut self,
        a: &Aggregation,
        rel: &Rel,
        scope: &Scope,
        name: &str,
    ) -> Result<(String, Rel, String), Untranslatable> {
        if a.fill {
            return no("`fill` writes rows for windows without events; Flink's window aggregation only writes rows for windows that have events");
        }
        match a.emit {
            Emit::OnClose => {}
            Emit::Every(d) => {
                return no(format!(
                    "`emit every {}` snapshots open groups on the wall clock; a Flink job's rows would depend on when it runs",
                    duration(d)
                ))
            }
            Emit::OnUpdate => {
                return no("`emit on update` writes a row per change; Flink's update stream also retracts the previous row, which streamctl does not write")
            }
        }
        let mut keys: Vec<(Column, String)> = Vec::new();
        for k in &a.by {
            let (v, sql) = key_value(scope, k, "grouping is")?;
            keys.push((
                Column {
                    name: k.name.clone(),
                    ty: v.ty,
                },
                sql,
            ));
        }
        let mut aggs: Vec<(Column, String)> = Vec::new();
        for call in &a.aggs {
            if a.window.is_none() {
                arrival_order_agg(call)?;
            }
            let (sql, ty) = agg_call(scope, call, &self.shifts)?;
            aggs.push((
                Column {
                    name: call.name.clone(),
                    ty,
                },
                sql,
            ));
        }
        let mut select: Vec<String> = Vec::new();
        let mut cols: Vec<Column> = Vec::new();
        let mut group: Vec<String> = Vec::new();
        let from;
        let ops;
        let rowtime;
        match &a.window {
            None => {
                from = q(&rel.name);
                ops = if keys.is_empty() {
                    "GroupAggregate (one row at end of input)".to_string()
                } else {
                    "GroupAggregate (GROUP BY keys; rows at end of input)".to_string()
                };
                rowtime = false;
            }
            Some(w) => {
                if !rel.rowtime {
                    return no("the window needs event time, which the rows lost at an earlier aggregate without a window");
                }
                let is_window_col =
                    |n: &str| matches!(n, "window_start" | "window_end" | "window_time");
                let mut table = q(&rel.name);
                if rel.cols.iter().any(|c| is_window_col(&c.name)) {
                    // Flink's window functions add these columns again: a
                    // helper view leaves the earlier window's out, unless
                    // this stage reads them.
                    let mut read = Vec::new();
                    a.by.iter()
                        .for_each(|k| crate::expr::fields_read(&k.expr, &mut read));
                    a.aggs
                        .iter()
                        .filter_map(|c| c.arg.as_ref())
                        .for_each(|e| crate::expr::fields_read(e, &mut read));
                    if let Some(p) = read.iter().find(|p| is_window_col(&p[0])) {
                        return no(format!(
                            "it reads `{}` of an earlier window, a name Flink's window functions take for their own; `rename` it first",
                            p.join(".")
                        ));
                    }
                    let keep = Rel {
                        name: String::new(),
                        cols: rel
                            .cols
                            .iter()
                            .filter(|c| !is_window_col(&c.name))
                            .cloned()
                            .collect(),
                        rowtime: true,
                    };
                    let helper = format!("{name}_in");
                    self.pre.push(format!(
                        "CREATE TEMPORARY VIEW {} AS\nSELECT {}\nFROM {};\n",
                        q(&helper),
                        keep.select_all(),
                        q(&rel.name)
                    ));
                    table = q(&helper);
                }
                let time = format!("DESCRIPTOR({})", q(ROWTIME));
                let (tvf, what) = match w.kind {
                    WindowKind::Tumbling { size } => (
                        format!("TUMBLE(TABLE {table}, {time}, {})", interval(size)),
                        "TUMBLE window TVF",
                    ),
                    WindowKind::Hopping { size, slide } => {
                        if size % slide != 0 {
                            return no(format!(
                                "Flink's HOP needs the size ({}) to be a multiple of the slide ({})",
                                duration(size),
                                duration(slide)
                            ));
                        }
                        hop_mergeable(&a.aggs)?;
                        (
                            format!(
                                "HOP(TABLE {table}, {time}, {}, {})",
                                interval(slide),
                                interval(size)
                            ),
                            "HOP window TVF",
                        )
                    }
                    WindowKind::Session { gap } => {
                        let mut parts = Vec::new();
                        for (k, (c, sql)) in a.by.iter().zip(&keys) {
                            if !matches!(&k.expr.kind, ExprKind::Field(p) if p.parts.len() == 1 && p.parts[0] == c.name)
                            {
                                return no(format!(
                                    "the session key `{}` is an expression; Flink's SESSION partitions by columns: `eval` it first",
                                    k.name
                                ));
                            }
                            if c.ty == Ty::Float {
                                return no(format!(
                                    "the session key `{}` is a float; Flink's SESSION partitions -0.0 and 0 apart, streamctl keys them as one: `eval` it into a normalised key first",
                                    k.name
                                ));
                            }
                            parts.push(sql.clone());
                        }
                        let partition = if parts.is_empty() {
                            String::new()
                        } else {
                            format!(" PARTITION BY {}", parts.join(", "))
                        };
                        (
                            format!(
                                "SESSION(TABLE {table}{partition}, {time}, {})",
                                interval(gap)
                            ),
                            "SESSION window TVF",
                        )
                    }
                };
                from = format!("TABLE({tvf})");
                ops = format!(
                    "{what} + WindowAggregate (GROUP BY window_start, window_end{})",
                    if keys.is_empty() { "" } else { ", keys" }
                );
                for col in ["window_start", "window_end"] {
                    select.push(format!(
                        "DATE_FORMAT({}, '{RFC3339_MS}') AS {}",
                        q(col),
                        q(col)
                    ));
                    cols.push(Column {
                        name: col.into(),
                        ty: Ty::Str,
                    });
                }
                group.extend(["window_start", "window_end", "window_time"].map(q));
                rowtime = true;
            }
        }
        for (c, sql) in &keys {
            if *sql == q(&c.name) {
                select.push(sql.clone());
            } else {
                select.push(format!("{sql} AS {}", q(&c.name)));
            }
            group.push(sql.clone());
            cols.push(c.clone());
        }
        for (c, sql) in &aggs {
            select.push(format!("{sql} AS {}", q(&c.name)));
            cols.push(c.clone());
        }
        if rowtime {
            select.push(format!("{} AS {}", q("window_time"), q(ROWTIME)));
        }
        let mut body = format!("SELECT\n  {}\nFROM {from}", select.join(",\n  "));
        if !group.is_empty() {
            let _ = write!(body, "\nGROUP BY {}", group.join(", "));
        }
        Ok((
            body,
            Rel {
                name: name.to_string(),
                cols,
                rowtime,
            },
            ops,
        ))
    }
}

/// The input of an arrival-order stage: every column, the processing-time
/// attribute, and key expressions that are not plain columns (as `__k1`, …);
/// with the `PARTITION BY …` clause (empty without keys).
pub(super) fn arrival_input(
    rel: &Rel,
    scope: &Scope,
    keys: &[KeyItem],
) -> Result<(String, String), Untranslatable> {
    if let Some(c) = rel
        .cols
        .iter()
        .find(|c| c.name == PROCTIME || c.name.starts_with("__k"))
    {
        return no(format!(
            "the events have a field `{}`, a name the compiled job uses for arrival order; `rename` it first",
            c.name
        ));
    }
    let mut extra = vec![format!("PROCTIME() AS {}", q(PROCTIME))];
    let mut parts = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let (_, sql) = key_value(scope, k, "keys are")?;
        if rel.cols.iter().any(|c| q(&c.name) == sql) {
            parts.push(sql);
        } else {
            let alias = q(&format!("__k{}", i + 1));
            extra.push(format!("{sql} AS {alias}"));
            parts.push(alias);
        }
    }
    let partition = if parts.is_empty() {
        String::new()
    } else {
        format!("PARTITION BY {} ", parts.join(", "))
    };
    Ok((
        format!("SELECT *, {}\n  FROM {}", extra.join(", "), q(&rel.name)),
        partition,
    ))
}

/// `SELECT expr AS name, …[, rowtime] FROM prev`.
pub(super) fn projection(out: &[(Column, String)], rel: &Rel, from: &str) -> String {
    let mut items: Vec<String> = out
        .iter()
        .map(|(c, sql)| {
            if *sql == q(&c.name) {
                sql.clone()
            } else {
                format!("{sql} AS {}", q(&c.name))
            }
        })
        .collect();
    if rel.rowtime {
        items.push(q(ROWTIME));
    }
    format!("SELECT {}\nFROM {from}", items.join(", "))
}

/// A key's value and its SQL (see [`key_sql`]); only plain values are
/// translated (`what`: "keys are", "grouping is").
fn key_value(scope: &Scope, k: &KeyItem, what: &str) -> Result<(Sx, String), Untranslatable> {
    let v = scope.value(&k.expr)?;
    if matches!(v.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_)) {
        return no(format!(
            "the key `{}` is {}; {what} translated for plain values",
            k.name,
            v.ty.describe()
        ));
    }
    let sql = key_sql(&v);
    Ok((v, sql))
}

/// A value as a key (GROUP BY, PARTITION BY, COUNT DISTINCT): Flink tells
/// doubles apart by their bits, so `-0.0` and `0.0` would be two keys where
/// streamctl has one (`-0.0 == 0`); a float key is normalised first.
pub(super) fn key_sql(v: &Sx) -> String {
    if v.ty == Ty::Float {
        format!(
            "CASE WHEN {0} = 0 THEN CAST(0 AS DOUBLE) ELSE {0} END",
            v.sql
        )
    } else {
        v.sql.clone()
    }
}

/// Refuse `first`/`last` where the job is a batch one (no window): a batch
/// job reads the input in no set order, so the first and last values
/// differ from streamctl's arrival order.
pub(super) fn arrival_order_agg(call: &AggCall) -> Result<(), Untranslatable> {
    if matches!(call.func, AggFunc::First | AggFunc::Last) {
        return no(format!(
            "`{}` without a window compiles to a batch job, which keeps no arrival order, so its first and last values are not streamctl's; give the aggregate a window (`every D`)",
            call.name
        ));
    }
    Ok(())
}

/// One aggregate call in SQL, with its result type.
/// An aggregate call in SQL. `shifts`: a value near each source column's
/// (from the sample), which `stddev` subtracts first: the deviation does not
/// change under a shift, and Flink's STDDEV_POP in doubles loses digits when
/// the values lie far from 0 against their spread (1e9 ± 1), which
/// streamctl's exact update does not.
pub(super) fn agg_call(
    scope: &Scope,
    call: &AggCall,
    shifts: &HashMap<String, f64>,
) -> Result<(String, Ty), Untranslatable> {
    let arg = || -> Result<Sx, Untranslatable> {
        match &call.arg {
            Some(e) => scope.value(e),
            None => no(format!("`{}` has no argument", call.name)),
        }
    };
    let numeric = |v: &Sx| -> Result<(), Untranslatable> {
        if v.ty.is_numeric() || v.ty == Ty::Null {
            Ok(())
        } else {
            no(format!(
                "`{}` reads {}; streamctl reads numbers and numeric text, Flink's aggregate would cast or fail: declare the field a number with --schema",
                call.name,
                v.ty.describe()
            ))
        }
    };
    Ok(match call.func {
        AggFunc::Count => match &call.arg {
            None => ("COUNT(*)".into(), Ty::Int),
            Some(_) => (format!("COUNT({})", arg()?.sql), Ty::Int),
        },
        AggFunc::Sum => {
            let v = arg()?;
            numeric(&v)?;
            let ty = if v.ty == Ty::Float { Ty::Float } else { Ty::Int };
            (format!("SUM({})", v.sql), ty)
        }
        AggFunc::Avg => {
            let v = arg()?;
            numeric(&v)?;
            // AVG of a BIGINT is a BIGINT in Flink; streamctl's is a float.
            (format!("AVG(CAST({} AS DOUBLE))", v.sql), Ty::Float)
        }
        AggFunc::Min | AggFunc::Max => {
            let v = arg()?;
            if !matches!(v.ty, Ty::Int | Ty::Float | Ty::Str | Ty::Null) {
                return no(format!(
                    "`{}` of {} has no translation (streamctl orders numbers and strings)",
                    call.name,
                    v.ty.describe()
                ));
            }
            let f = if call.func == AggFunc::Min { "MIN" } else { "MAX" };
            (format!("{f}({})", v.sql), v.ty)
        }
        AggFunc::Distinct => {
            let v = arg()?;
            if matches!(v.ty, Ty::Row(_) | Ty::Array(_) | Ty::Other(_)) {
                return no(format!(
                    "`{}` of {} has no translation",
                    call.name,
                    v.ty.describe()
                ));
            }
            (format!("COUNT(DISTINCT {})", key_sql(&v)), Ty::Int)
        }
        AggFunc::Stddev => {
            let v = arg()?;
            numeric(&v)?;
            let shift = match &call.arg {
                Some(Expr {
                    kind: ExprKind::Field(p),
                    ..
                }) if p.parts.len() == 1 => shifts.get(&p.parts[0]).copied(),
                _ => None,
            };
            let sql = match shift {
                Some(k) if k != 0.0 => {
                    format!("STDDEV_POP(CAST({} AS DOUBLE) - CAST({k:e} AS DOUBLE))", v.sql)
                }
                _ => format!("STDDEV_POP(CAST({} AS DOUBLE))", v.sql),
            };
            (sql, Ty::Float)
        }
        AggFunc::First | AggFunc::Last => {
            let v = arg()?;
            // Both skip nulls, as streamctl's first and last do.
            let f = if call.func == AggFunc::First {
                "FIRST_VALUE"
            } else {
                "LAST_VALUE"
            };
            (format!("{f}({})", v.sql), v.ty)
        }
        AggFunc::Percentile(_) => {
            return no(format!(
                "`{}`: streamctl's percentiles come from a sketch (within 1% of the nearest-rank value); Flink SQL has no nearest-rank percentile aggregate to match it",
                call.name
            ))
        }
        AggFunc::Ewma(_) => {
            return no(format!(
                "`{}`: ewma is a running aggregate only",
                call.name
            ))
        }
    })
}

/// Flink computes a HOP window by merging the slices it is made of, and its
/// FIRST_VALUE and LAST_VALUE cannot be merged (the job fails to start).
pub(super) fn hop_mergeable<'a>(
    calls: impl IntoIterator<Item = &'a AggCall>,
) -> Result<(), Untranslatable> {
    match calls
        .into_iter()
        .find(|c| matches!(c.func, AggFunc::First | AggFunc::Last))
    {
        Some(c) => no(format!(
            "`{}` in a hopping window: Flink computes HOP windows by merging slices, and its FIRST_VALUE/LAST_VALUE cannot be merged; use a tumbling window, or run this pipeline with streamctl",
            c.name
        )),
        None => Ok(()),
    }
}
