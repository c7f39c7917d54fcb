//! GitHub Actions expressions (`${{ steps.login.outputs.registry }}`, `if:` conditions),
//! evaluated over a context object as GitHub does: missing properties are null, string
//! comparison ignores case, `&&` and `||` return an operand, and a value turns into text the
//! way GitHub writes it into a `with:` input or a script.

use serde_json::{Map, Value};

/// The contexts an expression may name; any other name makes the workflow invalid.
pub const CONTEXTS: &[&str] = &[
    "github", "env", "vars", "secrets", "steps", "needs", "runner", "job", "jobs", "inputs",
    "matrix", "strategy",
];

#[derive(Debug, Clone, PartialEq)]
pub struct ExprError(pub String);

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Punct(&'static str),
}

fn tokenize(src: &str) -> Result<Vec<Tok>, ExprError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(ExprError(format!("Unexpected end of expression: {src}"))),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text
                .parse()
                .map_err(|_| ExprError(format!("Unexpected symbol: '{text}'")))?;
            out.push(Tok::Num(n));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let p = ["==", "!=", "<=", ">=", "&&", "||"]
                .into_iter()
                .find(|p| *p == two)
                .or_else(|| {
                    [".", "[", "]", "(", ")", ",", "!", "<", ">", "*"]
                        .into_iter()
                        .find(|p| p.starts_with(c))
                })
                .ok_or_else(|| {
                    ExprError(format!(
                        "Unexpected symbol: '{c}'. Located within expression: {src}"
                    ))
                })?;
            i += p.len();
            out.push(Tok::Punct(p));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    at: usize,
    ctx: &'a Value,
    src: &'a str,
    /// Only checks: functions are not called (their arguments may be empty here).
    dry: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(q)) if *q == p) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: &str) -> Result<(), ExprError> {
        if self.eat(p) {
            Ok(())
        } else {
            Err(ExprError(format!(
                "Expected '{p}' in expression: {}",
                self.src
            )))
        }
    }

    fn or(&mut self) -> Result<Value, ExprError> {
        let mut left = self.and()?;
        while self.eat("||") {
            let right = self.and()?;
            if !truthy(&left) {
                left = right;
            }
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Value, ExprError> {
        let mut left = self.equality()?;
        while self.eat("&&") {
            let right = self.equality()?;
            if truthy(&left) {
                left = right;
            }
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Value, ExprError> {
        let mut left = self.comparison()?;
        loop {
            if self.eat("==") {
                let right = self.comparison()?;
                left = Value::Bool(loose_eq(&left, &right));
            } else if self.eat("!=") {
                let right = self.comparison()?;
                left = Value::Bool(!loose_eq(&left, &right));
            } else {
                return Ok(left);
            }
        }
    }

    fn comparison(&mut self) -> Result<Value, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct(p)) if ["<", ">", "<=", ">="].contains(p) => *p,
                _ => return Ok(left),
            };
            self.at += 1;
            let right = self.unary()?;
            let (a, b) = (number(&left), number(&right));
            left = Value::Bool(match op {
                "<" => a < b,
                ">" => a > b,
                "<=" => a <= b,
                _ => a >= b,
            });
        }
    }

    fn unary(&mut self) -> Result<Value, ExprError> {
        if self.eat("!") {
            let v = self.unary()?;
            return Ok(Value::Bool(!truthy(&v)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Value, ExprError> {
        let mut v = self.primary()?;
        loop {
            if self.eat(".") {
                match self.toks.get(self.at).cloned() {
                    Some(Tok::Ident(name)) => {
                        self.at += 1;
                        v = property(&v, &name);
                    }
                    Some(Tok::Punct("*")) => {
                        self.at += 1;
                        v = match v {
                            Value::Object(o) => {
                                Value::Array(o.into_iter().map(|(_, x)| x).collect())
                            }
                            Value::Array(a) => Value::Array(a),
                            _ => Value::Array(Vec::new()),
                        };
                    }
                    _ => {
                        return Err(ExprError(format!(
                            "Unexpected symbol after '.' in expression: {}",
                            self.src
                        )));
                    }
                }
            } else if self.eat("[") {
                let key = self.or()?;
                self.expect("]")?;
                v = match (&v, &key) {
                    (Value::Array(a), Value::Number(n)) => a
                        .get(n.as_f64().unwrap_or(-1.0) as usize)
                        .cloned()
                        .unwrap_or(Value::Null),
                    (_, k) => property(&v, &text(k)),
                };
            } else {
                return Ok(v);
            }
        }
    }

    fn primary(&mut self) -> Result<Value, ExprError> {
        let Some(tok) = self.toks.get(self.at).cloned() else {
            return Err(ExprError(format!(
                "Unexpected end of expression: {}",
                self.src
            )));
        };
        self.at += 1;
        match tok {
            Tok::Str(s) => Ok(Value::String(s)),
            Tok::Num(n) => Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
            Tok::Punct("(") => {
                let v = self.or()?;
                self.expect(")")?;
                Ok(v)
            }
            Tok::Ident(name) if self.eat("(") => {
                let mut args = Vec::new();
                if !self.eat(")") {
                    loop {
                        args.push(self.or()?);
                        if self.eat(")") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                if self.dry {
                    return call_known(&name).map(|_| Value::Null);
                }
                call(&name, &args, self.ctx)
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                "null" => Ok(Value::Null),
                n if CONTEXTS.contains(&n) => Ok(property(self.ctx, n)),
                n => Err(ExprError(format!(
                    "Unrecognized named-value: '{n}'. Located within expression: {}",
                    self.src
                ))),
            },
            Tok::Punct(p) => Err(ExprError(format!(
                "Unexpected symbol: '{p}'. Located within expression: {}",
                self.src
            ))),
        }
    }
}

const FUNCTIONS: &[&str] = &[
    "success",
    "failure",
    "always",
    "cancelled",
    "contains",
    "startswith",
    "endswith",
    "format",
    "join",
    "tojson",
    "fromjson",
    "hashfiles",
];

fn call_known(name: &str) -> Result<(), ExprError> {
    if FUNCTIONS.contains(&name.to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err(ExprError(format!("Unrecognized function: '{name}'")))
    }
}

fn call(name: &str, args: &[Value], ctx: &Value) -> Result<Value, ExprError> {
    call_known(name)?;
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    let lower = |v: &Value| text(v).to_lowercase();
    Ok(match name.to_ascii_lowercase().as_str() {
        "success" => Value::Bool(
            property(ctx, "job").get("status").and_then(|s| s.as_str()) != Some("failure"),
        ),
        "failure" => Value::Bool(
            property(ctx, "job").get("status").and_then(|s| s.as_str()) == Some("failure"),
        ),
        "always" => Value::Bool(true),
        "cancelled" => Value::Bool(false),
        "contains" => Value::Bool(match arg(0) {
            Value::Array(a) => a.iter().any(|x| loose_eq(x, &arg(1))),
            v => lower(&v).contains(&lower(&arg(1))),
        }),
        "startswith" => Value::Bool(lower(&arg(0)).starts_with(&lower(&arg(1)))),
        "endswith" => Value::Bool(lower(&arg(0)).ends_with(&lower(&arg(1)))),
        "format" => {
            let mut s = text(&arg(0));
            for (i, a) in args.iter().enumerate().skip(1) {
                s = s.replace(&format!("{{{}}}", i - 1), &text(a));
            }
            Value::String(s)
        }
        "join" => match arg(0) {
            Value::Array(a) => {
                let sep = if args.len() > 1 {
                    text(&arg(1))
                } else {
                    ",".into()
                };
                Value::String(a.iter().map(text).collect::<Vec<_>>().join(&sep))
            }
            v => Value::String(text(&v)),
        },
        "tojson" => Value::String(serde_json::to_string_pretty(&arg(0)).unwrap_or_default()),
        "fromjson" => serde_json::from_str(&text(&arg(0)))
            .map_err(|e| ExprError(format!("Error parsing fromJson: {e}")))?,
        "hashfiles" => Value::String(String::new()),
        _ => return Err(ExprError(format!("Unrecognized function: '{name}'"))),
    })
}

fn property(v: &Value, name: &str) -> Value {
    match v {
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, x)| x.clone())
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Null => 0.0,
        Value::String(s) if s.trim().is_empty() => 0.0,
        Value::String(s) => s.trim().parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

/// GitHub's `==`: strings ignore case; different types compare as numbers.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Null, Value::Null) => true,
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => a == b,
        _ => number(a) == number(b),
    }
}

/// A value as GitHub writes it into text: null is empty, objects are JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// Evaluates one expression (the text inside `${{ }}`, or an `if:` without it).
pub fn eval(src: &str, ctx: &Value) -> Result<Value, ExprError> {
    parse(src, ctx, false)
}

/// Whether an expression is well formed and names only known contexts and functions.
pub fn check_syntax(src: &str) -> Result<(), ExprError> {
    parse(src, &Value::Null, true).map(|_| ())
}

fn parse(src: &str, ctx: &Value, dry: bool) -> Result<Value, ExprError> {
    let mut p = Parser {
        toks: tokenize(src)?,
        at: 0,
        ctx,
        src,
        dry,
    };
    let v = p.or()?;
    if p.at < p.toks.len() {
        return Err(ExprError(format!("Unexpected symbol in expression: {src}")));
    }
    Ok(v)
}

/// Replaces every `${{ ... }}` in `s` with its value as text.
pub fn interpolate(s: &str, ctx: &Value) -> Result<String, ExprError> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after.find("}}").ok_or_else(|| {
            ExprError(format!("An expression was not closed: {}", &rest[start..]))
        })?;
        out.push_str(&text(&eval(after[..end].trim(), ctx)?));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every expression in `s`, as written (for the linter).
pub fn expressions(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

/// Whether an `if:` runs its step: a condition with no status function means
/// `success() && (condition)`.
pub fn condition_holds(cond: &str, ctx: &Value) -> Result<bool, ExprError> {
    let inner = cond.trim();
    let inner = inner
        .strip_prefix("${{")
        .and_then(|c| c.strip_suffix("}}"))
        .map_or(inner, str::trim);
    let v = eval(inner, ctx)?;
    let status_fn = ["success(", "failure(", "always(", "cancelled("]
        .iter()
        .any(|f| inner.to_ascii_lowercase().contains(f));
    Ok(truthy(&v) && (status_fn || truthy(&call("success", &[], ctx)?)))
}

/// The context names and the step/job ids an expression reads (`steps.build` → ("steps",
/// Some("build"))), for the linter.
pub fn references(src: &str) -> Vec<(String, Option<String>)> {
    let Ok(toks) = tokenize(src) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        let after_dot = i > 0 && toks[i - 1] == Tok::Punct(".");
        let is_call = toks.get(i + 1) == Some(&Tok::Punct("("));
        if after_dot || is_call || ["true", "false", "null"].contains(&name.as_str()) {
            continue;
        }
        let member = match (toks.get(i + 1), toks.get(i + 2)) {
            (Some(Tok::Punct(".")), Some(Tok::Ident(m))) => Some(m.clone()),
            _ => None,
        };
        out.push((name.clone(), member));
    }
    out
}

/// An empty object, to build contexts with.
pub fn object() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Value {
        json!({
            "github": {"sha": "abc123", "ref": "refs/heads/main", "event_name": "push"},
            "steps": {"login-ecr": {"outputs": {"registry": "1.dkr.ecr.us-east-1.amazonaws.com"}}},
            "env": {"REPO": "storefront"},
            "job": {"status": "success"}
        })
    }

    #[test]
    fn properties_interpolate_and_missing_ones_are_empty() {
        let c = ctx();
        assert_eq!(
            interpolate(
                "${{ steps.login-ecr.outputs.registry }}/${{ env.REPO }}:${{ github.sha }}",
                &c
            )
            .unwrap(),
            "1.dkr.ecr.us-east-1.amazonaws.com/storefront:abc123"
        );
        assert_eq!(
            interpolate("[${{ steps.nope.outputs.registry }}]", &c).unwrap(),
            "[]"
        );
        assert_eq!(interpolate("${{ github['sha'] }}", &c).unwrap(), "abc123");
    }

    #[test]
    fn comparison_ignores_case_and_logic_returns_operands() {
        let c = ctx();
        assert_eq!(
            eval("github.ref == 'REFS/heads/main'", &c).unwrap(),
            json!(true)
        );
        assert_eq!(
            eval("env.NOPE || 'fallback'", &c).unwrap(),
            json!("fallback")
        );
        assert_eq!(
            eval("github.event_name != 'push' && 'x'", &c).unwrap(),
            json!(false)
        );
        assert_eq!(eval("!(1 < 2)", &c).unwrap(), json!(false));
        assert_eq!(
            eval("format('{0}:{1}', env.REPO, github.sha)", &c).unwrap(),
            json!("storefront:abc123")
        );
        assert_eq!(
            eval("startsWith(github.ref, 'refs/heads/')", &c).unwrap(),
            json!(true)
        );
        assert_eq!(
            eval("contains(fromJSON('[\"a\",\"b\"]'), 'B')", &c).unwrap(),
            json!(true)
        );
    }

    #[test]
    fn unknown_names_and_broken_syntax_are_errors() {
        let c = ctx();
        assert!(
            eval("step.login.outputs.registry", &c)
                .unwrap_err()
                .0
                .contains("Unrecognized named-value: 'step'")
        );
        assert!(interpolate("${{ github.sha", &c).is_err());
        assert!(eval("github.sha ==", &c).is_err());
        assert!(
            eval("nosuch(1)", &c)
                .unwrap_err()
                .0
                .contains("Unrecognized function")
        );
    }

    #[test]
    fn conditions_add_success_unless_they_name_a_status_function() {
        let mut c = ctx();
        assert!(condition_holds("github.ref == 'refs/heads/main'", &c).unwrap());
        assert!(condition_holds("${{ github.event_name == 'push' }}", &c).unwrap());
        c["job"]["status"] = json!("failure");
        assert!(!condition_holds("github.ref == 'refs/heads/main'", &c).unwrap());
        assert!(condition_holds("always()", &c).unwrap());
        assert!(condition_holds("failure()", &c).unwrap());
    }

    #[test]
    fn references_name_contexts_and_members() {
        assert_eq!(
            references("steps.build.outputs.image || needs.build.outputs.x"),
            vec![
                ("steps".to_string(), Some("build".to_string())),
                ("needs".to_string(), Some("build".to_string()))
            ]
        );
        assert_eq!(
            references("format('{0}', github.sha)"),
            vec![("github".to_string(), Some("sha".to_string()))]
        );
    }
}
