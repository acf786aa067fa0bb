//! SQL text for both engines from the [`tables`](crate::tables) descriptions, and running it.
//! Every value is bound as text (or NULL) and cast by the statement on PostgreSQL; every
//! value is read back as text, IST timestamps as `2024-06-03T09:15:00+05:30`.

use crate::StoreError;
use crate::db::{Store, with_pool};
use crate::tables::{Table, Ty};
use crate::url::Backend;
use sqlx::Row as _;

/// One row of values as text, `None` = NULL (an empty optional CSV cell).
pub type Row = Vec<Option<String>>;

/// Most bind parameters in one statement (SQLite's limit is 32,766, PostgreSQL's 65,535);
/// statements of a few hundred rows are the fastest to prepare and run on both.
const MAX_PARAMS: usize = 2_000;

/// A statement and its bound values.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub sql: String,
    pub binds: Vec<Option<String>>,
}

fn placeholder(b: Backend, n: usize, ty: Ty) -> String {
    match (b, ty) {
        // SQLite: numbered parameters (`?NNN`) bind by position without a name lookup.
        (Backend::Sqlite, _) => format!("?{n}"),
        (Backend::Postgres, Ty::Text) => format!("${n}"),
        (Backend::Postgres, Ty::Num) => format!("${n}::numeric"),
        (Backend::Postgres, Ty::Int) => format!("${n}::bigint"),
        (Backend::Postgres, Ty::Ts) => format!("${n}::timestamptz"),
        (Backend::Postgres, Ty::Date) => format!("${n}::date"),
    }
}

/// The expression that reads column `c` as text.
pub(crate) fn select_expr(b: Backend, c: &str, ty: Ty) -> String {
    match (b, ty) {
        (Backend::Sqlite, Ty::Int) => format!("CAST(\"{c}\" AS TEXT)"),
        (Backend::Sqlite, _) | (Backend::Postgres, Ty::Text) => format!("\"{c}\""),
        (Backend::Postgres, Ty::Ts) => format!(
            "to_char(\"{c}\" AT TIME ZONE 'Asia/Kolkata', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+05:30'"
        ),
        (Backend::Postgres, _) => format!("\"{c}\"::text"),
    }
}

/// What to do when a row's primary key exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conflict {
    /// Fail (the caller deleted the day first).
    Fail,
    /// Keep the stored row.
    Ignore,
    /// Replace the stored row's other columns.
    Update(&'static [&'static str]),
}

/// `INSERT` statements for `rows` (each: key values then the row's values, in
/// [`Table::all`] order), split to stay under the bind-parameter limit.
pub(crate) fn inserts(b: Backend, t: &Table, rows: Vec<Row>, conflict: Conflict) -> Vec<Stmt> {
    let cols: Vec<(&str, Ty)> = t.all().collect();
    let per_stmt = (MAX_PARAMS / cols.len().max(1)).max(1);
    let names = cols
        .iter()
        .map(|(c, _)| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let tail = match conflict {
        Conflict::Fail => String::new(),
        Conflict::Ignore => " ON CONFLICT DO NOTHING".into(),
        Conflict::Update(pk) => {
            let sets = cols
                .iter()
                .filter(|(c, _)| !pk.contains(c))
                .map(|(c, _)| format!("\"{c}\" = excluded.\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let pk = pk
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            format!(" ON CONFLICT ({pk}) DO UPDATE SET {sets}")
        }
    };
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Row> = rows.by_ref().take(per_stmt).collect();
        let mut sql = format!("INSERT INTO \"{}\" ({names}) VALUES ", t.name);
        let mut binds = Vec::with_capacity(chunk.len() * cols.len());
        for (i, row) in chunk.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (j, ((_, ty), v)) in cols.iter().zip(row).enumerate() {
                if j > 0 {
                    sql.push_str(", ");
                }
                binds.push(v);
                sql.push_str(&placeholder(b, binds.len(), *ty));
            }
            sql.push(')');
        }
        sql.push_str(&tail);
        out.push(Stmt { sql, binds });
    }
    out
}

/// `DELETE FROM t WHERE k1 = $1 AND …` for the given key columns.
pub(crate) fn delete(b: Backend, t: &Table, keys: &[(&str, Ty)], values: Row) -> Stmt {
    let cond = keys
        .iter()
        .enumerate()
        .map(|(i, (c, ty))| format!("\"{c}\" = {}", placeholder(b, i + 1, *ty)))
        .collect::<Vec<_>>()
        .join(" AND ");
    Stmt {
        sql: format!("DELETE FROM \"{}\" WHERE {cond}", t.name),
        binds: values,
    }
}

impl Store {
    /// Run `stmts` in one transaction; returns the rows affected.
    pub(crate) async fn run(&self, what: &str, stmts: Vec<Stmt>) -> Result<u64, StoreError> {
        if stmts.is_empty() {
            return Ok(0);
        }
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(|e| self.query_err(what, &e))?;
            let mut n = 0;
            for s in stmts {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(s.sql));
                for v in s.binds {
                    q = q.bind(v);
                }
                n += q
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.query_err(what, &e))?
                    .rows_affected();
            }
            tx.commit().await.map_err(|e| self.query_err(what, &e))?;
            Ok(n)
        })
    }

    /// `SELECT cols FROM t WHERE filter ORDER BY order` with text values; `filter` uses
    /// `$1…` for `binds` (typed like `filter_types`).
    pub(crate) async fn select(
        &self,
        what: &str,
        t: &Table,
        cols: &[(&str, Ty)],
        filter: &[(&str, Ty)],
        binds: Row,
        order: &str,
    ) -> Result<Vec<Row>, StoreError> {
        let b = self.backend();
        let exprs = cols
            .iter()
            .map(|(c, ty)| select_expr(b, c, *ty))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = format!("SELECT {exprs} FROM \"{}\"", t.name);
        if !filter.is_empty() {
            let cond = filter
                .iter()
                .enumerate()
                .map(|(i, (c, ty))| format!("\"{c}\" = {}", placeholder(b, i + 1, *ty)))
                .collect::<Vec<_>>()
                .join(" AND ");
            sql.push_str(" WHERE ");
            sql.push_str(&cond);
        }
        if !order.is_empty() {
            sql.push_str(" ORDER BY ");
            sql.push_str(order);
        }
        self.fetch_text(what, sql, binds, cols.len()).await
    }

    /// Run a query whose every column is text; `n` columns per row.
    pub(crate) async fn fetch_text(
        &self,
        what: &str,
        sql: String,
        binds: Row,
        n: usize,
    ) -> Result<Vec<Row>, StoreError> {
        with_pool!(&self.pool, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in binds {
                q = q.bind(v);
            }
            let rows = q.fetch_all(p).await.map_err(|e| self.query_err(what, &e))?;
            rows.iter()
                .map(|r| {
                    (0..n)
                        .map(|i| r.try_get::<Option<String>, _>(i))
                        .collect::<Result<Row, _>>()
                        .map_err(|e| self.query_err(what, &e))
                })
                .collect()
        })
    }
}

/// Text → `Option<String>` for a column: empty → NULL except for text columns.
pub(crate) fn cell(ty: Ty, v: &str) -> Option<String> {
    if v.is_empty() && ty != Ty::Text {
        None
    } else {
        Some(v.to_string())
    }
}
