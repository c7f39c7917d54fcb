//! The part of a `run:` script a deploy job needs replayed: Docker's build, tag, push and
//! login, step outputs written to `$GITHUB_OUTPUT`, variables for later steps written to
//! `$GITHUB_ENV`, and shell variables. Words are split and `$VAR` expanded as bash would for
//! these simple lines; anything else is reported as a line not replayed, never run.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `docker build` / `docker buildx build`: the tags given, and whether it also pushes.
    Build {
        tags: Vec<String>,
        context: String,
        push: bool,
    },
    Tag {
        source: String,
        target: String,
    },
    Push {
        image: String,
    },
    /// `... | docker login --username AWS --password-stdin REGISTRY`.
    Login {
        registry: String,
    },
    /// `echo "name=value" >> $GITHUB_OUTPUT` (or the old `::set-output`).
    Output {
        name: String,
        value: String,
        deprecated: bool,
    },
    /// `echo "NAME=value" >> $GITHUB_ENV`: an environment variable of the later steps.
    Env {
        name: String,
        value: String,
    },
    /// Any other line: shown as not replayed.
    Other {
        line: String,
    },
}

/// A shell's variables across the lines of one script.
pub struct Shell {
    pub vars: BTreeMap<String, String>,
}

impl Shell {
    pub fn new(vars: BTreeMap<String, String>) -> Shell {
        Shell { vars }
    }

    /// What the script does, line by line (`\` continuations joined, `&&` and `;` split).
    pub fn run(&mut self, script: &str) -> Vec<Command> {
        let mut out = Vec::new();
        for line in logical_lines(script) {
            for part in split_outside_quotes(&line, &["&&", ";"]) {
                let part = part.trim();
                if part.is_empty() || part.starts_with('#') {
                    continue;
                }
                if let Some(c) = self.command(part) {
                    out.push(c);
                }
            }
        }
        out
    }

    fn command(&mut self, line: &str) -> Option<Command> {
        let other = || {
            Some(Command::Other {
                line: line.to_string(),
            })
        };
        // a pipe: only `... | docker login ...` is understood
        let stages = split_outside_quotes(line, &["|"]);
        let last = stages.last().map(|s| s.trim()).unwrap_or(line);
        // `>> $GITHUB_OUTPUT` / `>> "$GITHUB_ENV"`
        let (body, target) = match split_outside_quotes(last, &[">>"]).as_slice() {
            [body, target] => (
                body.trim().to_string(),
                Some(self.words(target.trim()).join("")),
            ),
            _ => (last.to_string(), None),
        };
        let words = self.words(&body);
        let first = words.first().map(String::as_str).unwrap_or("");
        if let Some(target) = target {
            if first != "echo" && first != "printf" {
                return other();
            }
            let text = words[1..].join(" ");
            let (name, value) = text.split_once('=')?;
            let (name, value) = (name.trim().to_string(), value.to_string());
            return match target.as_str() {
                t if t == self.var("GITHUB_OUTPUT") || t.ends_with("GITHUB_OUTPUT") => {
                    Some(Command::Output {
                        name,
                        value,
                        deprecated: false,
                    })
                }
                t if t == self.var("GITHUB_ENV") || t.ends_with("GITHUB_ENV") => {
                    self.vars.insert(name.clone(), value.clone());
                    Some(Command::Env { name, value })
                }
                _ => other(),
            };
        }
        if first == "echo" {
            let text = words[1..].join(" ");
            if let Some(rest) = text.strip_prefix("::set-output name=") {
                let (name, value) = rest.split_once("::")?;
                return Some(Command::Output {
                    name: name.to_string(),
                    value: value.to_string(),
                    deprecated: true,
                });
            }
            return other();
        }
        // NAME=value or export NAME=value
        let assign = if first == "export" {
            words.get(1)
        } else {
            words.first()
        };
        if let Some((name, value)) = assign.and_then(|w| w.split_once('='))
            && words.len() <= 2
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.vars.insert(name.to_string(), value.to_string());
            return None;
        }
        if first != "docker" {
            return other();
        }
        let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        if args.first() == Some(&"buildx") || args.first() == Some(&"image") {
            args.remove(0);
        }
        match args.first().copied() {
            Some("build") => Some(build(&args[1..])),
            Some("tag") if args.len() == 3 => Some(Command::Tag {
                source: args[1].to_string(),
                target: args[2].to_string(),
            }),
            Some("push") => {
                args.iter()
                    .skip(1)
                    .find(|a| !a.starts_with('-'))
                    .map(|i| Command::Push {
                        image: i.to_string(),
                    })
            }
            Some("login") => args
                .iter()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .rfind(|a| a.contains('.'))
                .map(|r| Command::Login {
                    registry: r.trim_start_matches("https://").to_string(),
                }),
            _ => other(),
        }
    }

    fn var(&self, name: &str) -> String {
        self.vars.get(name).cloned().unwrap_or_default()
    }

    /// Splits into words as bash does for simple lines: quotes group, `$VAR` and `${VAR}`
    /// expand outside single quotes, `$(...)` is kept as written.
    pub fn words(&self, s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut in_word = false;
        let mut quote: Option<char> = None;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match (quote, c) {
                (None, c) if c.is_whitespace() => {
                    if in_word {
                        out.push(std::mem::take(&mut cur));
                        in_word = false;
                    }
                    i += 1;
                    continue;
                }
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (Some('\''), c) => cur.push(c),
                (_, '\\') if i + 1 < chars.len() => {
                    cur.push(chars[i + 1]);
                    i += 1;
                }
                (_, '$') => {
                    let (value, used) = self.expand_at(&chars[i + 1..]);
                    cur.push_str(&value);
                    i += used;
                }
                (_, c) => cur.push(c),
            }
            in_word = true;
            i += 1;
        }
        if in_word {
            out.push(cur);
        }
        out
    }

    /// The value of `$NAME`, `${NAME}` or `$(...)` (kept as text) after a `$`, and how many
    /// characters it used.
    fn expand_at(&self, rest: &[char]) -> (String, usize) {
        match rest.first() {
            Some('{') => {
                let end = rest.iter().position(|&c| c == '}').unwrap_or(rest.len());
                let name: String = rest[1..end].iter().collect();
                let name = name.split([':', '-']).next().unwrap_or("").to_string();
                (self.var(&name), end + 1)
            }
            Some('(') => {
                let mut depth = 0;
                let mut end = rest.len();
                for (i, &c) in rest.iter().enumerate() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                (format!("${}", rest[..end].iter().collect::<String>()), end)
            }
            Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
                let end = rest
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .unwrap_or(rest.len());
                let name: String = rest[..end].iter().collect();
                (self.var(&name), end)
            }
            _ => ("$".to_string(), 0),
        }
    }
}

fn build(args: &[&str]) -> Command {
    let mut tags = Vec::new();
    let mut context = String::from(".");
    let mut push = false;
    let mut i = 0;
    // options that take a value
    const VALUED: &[&str] = &[
        "-f",
        "--file",
        "--build-arg",
        "--platform",
        "--target",
        "--label",
        "--cache-from",
        "--cache-to",
        "--secret",
        "--progress",
        "--network",
        "--output",
        "-o",
    ];
    while i < args.len() {
        let a = args[i];
        if a == "-t" || a == "--tag" {
            if let Some(t) = args.get(i + 1) {
                tags.push(t.to_string());
            }
            i += 2;
            continue;
        }
        if let Some(t) = a.strip_prefix("--tag=") {
            tags.push(t.to_string());
        } else if a == "--push" {
            push = true;
        } else if VALUED.contains(&a) {
            i += 1;
        } else if !a.starts_with('-') {
            context = a.to_string();
        }
        i += 1;
    }
    Command::Build {
        tags,
        context,
        push,
    }
}

/// Joins `\`-continued lines.
fn logical_lines(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in script.lines() {
        let t = line.trim_end();
        if let Some(stripped) = t.strip_suffix('\\') {
            cur.push_str(stripped);
            cur.push(' ');
        } else {
            cur.push_str(t);
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// Splits at any of `seps` outside quotes (`||` is never split at `|`).
fn split_outside_quotes(s: &str, seps: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    let bytes: Vec<char> = s.chars().collect();
    'outer: while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {
                for sep in seps {
                    let n = sep.chars().count();
                    let here: String = bytes[i..bytes.len().min(i + n)].iter().collect();
                    let doubled = *sep == "|"
                        && (bytes.get(i + 1) == Some(&'|') || (i > 0 && bytes[i - 1] == '|'));
                    if here == *sep && !doubled {
                        out.push(std::mem::take(&mut cur));
                        i += n;
                        continue 'outer;
                    }
                }
            }
        }
        cur.push(c);
        i += 1;
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell() -> Shell {
        Shell::new(BTreeMap::from([
            (
                "GITHUB_OUTPUT".to_string(),
                "/home/runner/work/_temp/_runner_file_commands/set_output".to_string(),
            ),
            (
                "GITHUB_ENV".to_string(),
                "/home/runner/work/_temp/_runner_file_commands/set_env".to_string(),
            ),
            (
                "REGISTRY".to_string(),
                "1.dkr.ecr.us-east-1.amazonaws.com".to_string(),
            ),
        ]))
    }

    #[test]
    fn the_usual_build_and_push_script_is_understood() {
        let mut sh = shell();
        let cmds = sh.run(
            "IMAGE=$REGISTRY/storefront:abc\n\
             docker build -t \"$IMAGE\" \\\n  --build-arg X=1 .\n\
             docker push $IMAGE\n\
             echo \"image=$IMAGE\" >> \"$GITHUB_OUTPUT\"\n\
             npm test\n",
        );
        let image = "1.dkr.ecr.us-east-1.amazonaws.com/storefront:abc".to_string();
        assert_eq!(
            cmds,
            vec![
                Command::Build {
                    tags: vec![image.clone()],
                    context: ".".into(),
                    push: false
                },
                Command::Push {
                    image: image.clone()
                },
                Command::Output {
                    name: "image".into(),
                    value: image,
                    deprecated: false
                },
                Command::Other {
                    line: "npm test".into()
                },
            ]
        );
    }

    #[test]
    fn single_quotes_do_not_expand_and_env_files_set_variables() {
        let mut sh = shell();
        assert_eq!(
            sh.words("echo '$REGISTRY' \"${REGISTRY}\""),
            vec!["echo", "$REGISTRY", "1.dkr.ecr.us-east-1.amazonaws.com"]
        );
        let cmds =
            sh.run("echo \"TAG=v2\" >> $GITHUB_ENV && docker tag app:$TAG $REGISTRY/app:$TAG");
        assert_eq!(
            cmds[0],
            Command::Env {
                name: "TAG".into(),
                value: "v2".into()
            }
        );
        assert_eq!(
            cmds[1],
            Command::Tag {
                source: "app:v2".into(),
                target: "1.dkr.ecr.us-east-1.amazonaws.com/app:v2".into()
            }
        );
    }

    #[test]
    fn login_buildx_push_and_set_output_are_recognised() {
        let mut sh = shell();
        let cmds = sh.run(
            "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin $REGISTRY\n\
             docker buildx build --platform linux/amd64 --push -t $REGISTRY/app:1 ./app\n\
             echo \"::set-output name=image::x\"",
        );
        assert_eq!(
            cmds[0],
            Command::Login {
                registry: "1.dkr.ecr.us-east-1.amazonaws.com".into()
            }
        );
        assert_eq!(
            cmds[1],
            Command::Build {
                tags: vec!["1.dkr.ecr.us-east-1.amazonaws.com/app:1".into()],
                context: "./app".into(),
                push: true
            }
        );
        assert_eq!(
            cmds[2],
            Command::Output {
                name: "image".into(),
                value: "x".into(),
                deprecated: true
            }
        );
    }

    #[test]
    fn command_substitution_is_kept_and_or_lists_are_not_pipes() {
        let sh = shell();
        assert_eq!(
            sh.words("echo $(git rev-parse --short HEAD)"),
            vec!["echo", "$(git rev-parse --short HEAD)"]
        );
        assert_eq!(
            split_outside_quotes("a || b | c", &["|"]),
            vec!["a || b ", " c"]
        );
    }
}
