//! `SimpleImputer(missing_values=nan)`: the fitted statistic replaces a missing cell. The
//! strategy (mean, median, most_frequent, constant) only decided the statistic at fit time.

use super::{check_width, Cell, Columns};

#[derive(Debug, Clone)]
pub(crate) struct SimpleImputer {
    statistics: Vec<Statistic>,
}

#[derive(Debug, Clone)]
enum Statistic {
    Num(f64),
    Str(String),
    Bool(bool),
}

impl SimpleImputer {
    pub fn compile(statistics: &[serde_json::Value], input: &Columns) -> Result<Self, String> {
        check_width("simple_imputer.statistics", statistics.len(), input)?;
        let statistics = statistics
            .iter()
            .map(|v| match v {
                serde_json::Value::Number(n) => n
                    .as_f64()
                    .map(Statistic::Num)
                    .ok_or_else(|| format!("simple_imputer statistic {n} is not a float")),
                serde_json::Value::String(s) => Ok(Statistic::Str(s.clone())),
                serde_json::Value::Bool(b) => Ok(Statistic::Bool(*b)),
                other => Err(format!("simple_imputer statistic {other} is not supported")),
            })
            .collect::<Result<_, _>>()?;
        Ok(SimpleImputer { statistics })
    }

    pub fn transform<'a>(&'a self, input: &[Cell<'a>], out: &mut Vec<Cell<'a>>) {
        for (cell, stat) in input.iter().zip(&self.statistics) {
            out.push(if cell.is_missing() {
                match stat {
                    Statistic::Num(x) => Cell::Num(*x),
                    Statistic::Str(s) => Cell::Str(s),
                    Statistic::Bool(b) => Cell::Bool(*b),
                }
            } else {
                *cell
            });
        }
    }
}
