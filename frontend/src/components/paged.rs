//! Lists that can grow (an accountant's 50 or 500 clients, their documents,
//! their tasks): searched as the person types, filtered, sorted by any
//! column, shown a page at a time. A table ([`PagedTable`]) or cards
//! ([`PagedCards`]) over the same controls.

use std::cmp::Ordering;
use std::sync::Arc;

use leptos::prelude::*;

/// How many rows one page shows.
const PAGE: usize = 20;

/// A value a list sorts by: numbers before text, each in its own order; a
/// row without the value last whichever the direction.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Number(i64),
    Text(String),
    Missing,
}

impl Key {
    /// Text sorted as a person expects: without regard to case.
    pub fn text(text: &str) -> Key {
        Key::Text(text.to_lowercase())
    }

    /// A decimal amount ("1453.21"), in cents; `Missing` when it is not one.
    pub fn amount(amount: &str) -> Key {
        let (negative, digits) = match amount.trim().strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, amount.trim()),
        };
        let (whole, cents) = digits.split_once('.').unwrap_or((digits, "0"));
        let cents: String = cents.chars().chain("00".chars()).take(2).collect();
        match (whole.parse::<i64>(), cents.parse::<i64>()) {
            (Ok(whole), Ok(cents)) => {
                let value = whole.saturating_mul(100).saturating_add(cents);
                Key::Number(if negative { -value } else { value })
            }
            _ => Key::Missing,
        }
    }
}

/// One row: the text a search matches, a key per sortable column, the
/// filters it belongs to, and how to draw it.
#[derive(Clone)]
pub struct Row {
    pub text: String,
    pub keys: Vec<Key>,
    pub tags: Vec<&'static str>,
    pub draw: Arc<dyn Fn() -> AnyView + Send + Sync>,
}

impl Row {
    pub fn new(text: String, draw: Arc<dyn Fn() -> AnyView + Send + Sync>) -> Row {
        Row {
            text,
            keys: Vec::new(),
            tags: Vec::new(),
            draw,
        }
    }

    pub fn keys(mut self, keys: Vec<Key>) -> Row {
        self.keys = keys;
        self
    }

    pub fn tags(mut self, tags: Vec<&'static str>) -> Row {
        self.tags = tags;
        self
    }
}

/// The state of a list's controls, and the rows they let through, in order.
#[derive(Clone, Copy)]
struct Controls {
    search: RwSignal<String>,
    filter: RwSignal<String>,
    /// The column sorted by, and whether descending; `None`: as given.
    sort: RwSignal<Option<(usize, bool)>>,
    page: RwSignal<usize>,
    shown: Memo<Vec<usize>>,
}

impl Controls {
    fn new(rows: &Arc<Vec<Row>>) -> Controls {
        let search = RwSignal::new(String::new());
        let filter = RwSignal::new(String::new());
        let sort = RwSignal::new(None::<(usize, bool)>);
        let page = RwSignal::new(0usize);
        let rows = Arc::clone(rows);
        let shown = Memo::new(move |_| {
            let needle = search.get().trim().to_lowercase();
            let filter = filter.get();
            let mut shown: Vec<usize> = rows
                .iter()
                .enumerate()
                .filter(|(_, row)| needle.is_empty() || row.text.to_lowercase().contains(&needle))
                .filter(|(_, row)| filter.is_empty() || row.tags.iter().any(|t| *t == filter))
                .map(|(i, _)| i)
                .collect();
            if let Some((column, descending)) = sort.get() {
                let key = |i: &usize| rows.get(*i).and_then(|row| row.keys.get(column));
                shown.sort_by(|a, b| match (key(a), key(b)) {
                    (Some(Key::Missing) | None, Some(Key::Missing) | None) => Ordering::Equal,
                    (Some(Key::Missing) | None, _) => Ordering::Greater,
                    (_, Some(Key::Missing) | None) => Ordering::Less,
                    (Some(x), Some(y)) if descending => y.cmp(x),
                    (Some(x), Some(y)) => x.cmp(y),
                });
            }
            shown
        });
        Controls {
            search,
            filter,
            sort,
            page,
            shown,
        }
    }

    /// The rows of the page shown, drawn.
    fn page_view(self, rows: &Arc<Vec<Row>>) -> impl Fn() -> AnyView + Send + Sync + 'static {
        let rows = Arc::clone(rows);
        move || {
            let start = self.page.get() * PAGE;
            self.shown.with(|m| {
                m.iter()
                    .skip(start)
                    .take(PAGE)
                    .filter_map(|i| rows.get(*i).map(|row| (row.draw)()))
                    .collect_view()
                    .into_any()
            })
        }
    }

    /// Search, filter and (for cards) sort, above the list.
    fn tools(
        self,
        label: &'static str,
        testid: &'static str,
        filters: Vec<(&'static str, &'static str)>,
        sorts: Vec<&'static str>,
    ) -> impl IntoView {
        let search_id = format!("{testid}-search");
        let filter_id = format!("{testid}-filter");
        let sort_id = format!("{testid}-sort");
        let filter = (!filters.is_empty()).then(|| {
            let options = filters
                .into_iter()
                .map(|(tag, name)| view! { <option value=tag>{name}</option> })
                .collect_view();
            view! {
                <label for=filter_id.clone()>"Show"</label>
                <select id=filter_id.clone() data-testid=format!("{testid}-filter")
                    on:change=move |ev| { self.filter.set(event_target_value(&ev)); self.page.set(0); }>
                    <option value="">"All"</option>
                    {options}
                </select>
            }
        });
        let sort = (!sorts.is_empty()).then(|| {
            let options = sorts
                .into_iter()
                .enumerate()
                .flat_map(|(i, name)| {
                    [
                        view! { <option value=format!("{i}:asc")>{format!("{name}, ascending")}</option> },
                        view! { <option value=format!("{i}:desc")>{format!("{name}, descending")}</option> },
                    ]
                })
                .collect_view();
            view! {
                <label for=sort_id.clone()>"Sort by"</label>
                <select id=sort_id.clone() data-testid=format!("{testid}-sort")
                    on:change=move |ev| {
                        let value = event_target_value(&ev);
                        let chosen = value.split_once(':').and_then(|(i, dir)| {
                            Some((i.parse().ok()?, dir == "desc"))
                        });
                        self.sort.set(chosen);
                        self.page.set(0);
                    }>
                    <option value="">"As listed"</option>
                    {options}
                </select>
            }
        });
        view! {
            <div class="table-tools">
                <label for=search_id.clone()>{format!("Search {}", label.to_lowercase())}</label>
                <input id=search_id.clone() type="search" data-testid=format!("{testid}-search")
                    prop:value=move || self.search.get()
                    on:input=move |ev| { self.search.set(event_target_value(&ev)); self.page.set(0); }/>
                {filter}
                {sort}
            </div>
        }
    }

    /// Previous, where we are, next.
    fn pager(self, label: &'static str, testid: &'static str) -> impl IntoView {
        view! {
            <nav class="pager" aria-label=format!("Pages of {}", label.to_lowercase())>
                <button type="button" data-testid=format!("{testid}-previous")
                    disabled=move || self.page.get() == 0
                    on:click=move |_| self.page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                <span data-testid=format!("{testid}-shown") aria-live="polite">{move || {
                    let n = self.shown.with(Vec::len);
                    let start = self.page.get() * PAGE;
                    if n == 0 {
                        "No match".to_string()
                    } else {
                        format!("{}–{} of {n}", start + 1, (start + PAGE).min(n))
                    }
                }}</span>
                <button type="button" data-testid=format!("{testid}-next")
                    disabled=move || { (self.page.get() + 1) * PAGE >= self.shown.with(Vec::len) }
                    on:click=move |_| self.page.update(|p| *p += 1)>"Next"</button>
            </nav>
        }
    }
}

/// `rows` under `head`: a search box, the `filters` (tag, name) when given,
/// a header button per sortable column (those the rows give keys for), and
/// pages of 20 once there are more.
#[component]
pub fn PagedTable(
    /// The table's accessible name.
    label: &'static str,
    /// Prefix of the controls' test ids.
    testid: &'static str,
    head: Vec<&'static str>,
    rows: Vec<Row>,
    #[prop(optional)] filters: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let total = rows.len();
    let sortable = rows.iter().map(|r| r.keys.len()).max().unwrap_or(0);
    let rows = Arc::new(rows);
    let controls = Controls::new(&rows);
    let with_tools = total > PAGE || !filters.is_empty();
    let head = head
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            if i >= sortable {
                return view! { <th scope="col">{h}</th> }.into_any();
            }
            let aria = move || match controls.sort.get() {
                Some((c, false)) if c == i => "ascending",
                Some((c, true)) if c == i => "descending",
                _ => "none",
            };
            let arrow = move || match controls.sort.get() {
                Some((c, false)) if c == i => " ▲",
                Some((c, true)) if c == i => " ▼",
                _ => "",
            };
            view! {
                <th scope="col" aria-sort=aria>
                    <button type="button" class="sort" data-testid=format!("{testid}-sort-{i}")
                        on:click=move |_| {
                            controls.sort.update(|s| {
                                *s = match *s {
                                    Some((c, false)) if c == i => Some((i, true)),
                                    _ => Some((i, false)),
                                }
                            });
                            controls.page.set(0);
                        }>
                        {h}<span aria-hidden="true">{arrow}</span>
                    </button>
                </th>
            }
            .into_any()
        })
        .collect_view();
    view! {
        {with_tools.then(|| controls.tools(label, testid, filters, Vec::new()))}
        <div class="table-scroll" tabindex="0" role="region" aria-label=format!("Table of {}", label.to_lowercase())>
            <table>
                <thead><tr>{head}</tr></thead>
                <tbody>{controls.page_view(&rows)}</tbody>
            </table>
        </div>
        {with_tools.then(|| controls.pager(label, testid))}
    }
}

/// `rows` drawn as they are (cards, say), with the same search, `filters`
/// and pages, and a "Sort by" choice over `sorts` (a name per key).
#[component]
pub fn PagedCards(
    label: &'static str,
    testid: &'static str,
    rows: Vec<Row>,
    #[prop(optional)] filters: Vec<(&'static str, &'static str)>,
    #[prop(optional)] sorts: Vec<&'static str>,
) -> impl IntoView {
    let total = rows.len();
    let rows = Arc::new(rows);
    let controls = Controls::new(&rows);
    let with_tools = total > 1 || !filters.is_empty();
    view! {
        {with_tools.then(|| controls.tools(label, testid, filters, sorts))}
        <div class="panels" data-testid=format!("{testid}-list")>
            {controls.page_view(&rows)}
        </div>
        {move || controls.shown.with(Vec::is_empty).then(|| view! {
            <p class="hint" data-testid=format!("{testid}-none")>"Nothing matches."</p>
        })}
        {(total > PAGE).then(|| controls.pager(label, testid))}
    }
}

#[cfg(test)]
mod tests {
    use super::Key;

    #[test]
    fn amounts_sort_as_numbers() {
        assert_eq!(Key::amount("1453.21"), Key::Number(145_321));
        assert_eq!(Key::amount("99.9"), Key::Number(9_990));
        assert_eq!(Key::amount("12"), Key::Number(1_200));
        assert_eq!(Key::amount("-3.50"), Key::Number(-350));
        assert_eq!(Key::amount("-0.50"), Key::Number(-50));
        assert_eq!(Key::amount("n/a"), Key::Missing);
        assert!(Key::amount("99.90") < Key::amount("1000.00"));
    }
}
