//! A table that can grow: searched as the person types, shown a page at a
//! time (an accountant's 50 or 500 clients).

use std::sync::Arc;

use leptos::prelude::*;

/// How many rows one page shows.
const PAGE: usize = 20;

/// One row: the text a search matches, and how to draw it.
pub type Row = (String, Arc<dyn Fn() -> AnyView + Send + Sync>);

/// `rows` under `head`, with a search box and pages of 20 once there are more.
#[component]
pub fn PagedTable(
    /// The table's accessible name.
    label: &'static str,
    /// Prefix of the controls' test ids.
    testid: &'static str,
    head: Vec<&'static str>,
    rows: Vec<Row>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(0usize);
    let total = rows.len();
    let rows = Arc::new(rows);
    let matching = {
        let rows = Arc::clone(&rows);
        move || {
            let needle = search.get().trim().to_lowercase();
            rows.iter()
                .enumerate()
                .filter(|(_, (text, _))| needle.is_empty() || text.to_lowercase().contains(&needle))
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        }
    };
    let matching = Memo::new(move |_| matching());
    let head = head
        .into_iter()
        .map(|h| view! { <th scope="col">{h}</th> })
        .collect_view();
    let search_id = format!("{testid}-search");
    view! {
        {(total > PAGE).then(|| view! {
            <div class="table-tools">
                <label for=search_id.clone()>{format!("Search {}", label.to_lowercase())}</label>
                <input id=search_id.clone() type="search" data-testid=format!("{testid}-search")
                    prop:value=move || search.get()
                    on:input=move |ev| { search.set(event_target_value(&ev)); page.set(0); }/>
            </div>
        })}
        <div class="table-scroll" tabindex="0" role="region" aria-label=format!("Table of {}", label.to_lowercase())>
            <table>
                <thead><tr>{head}</tr></thead>
                <tbody>
                    {move || {
                        let start = page.get() * PAGE;
                        matching.with(|m| {
                            m.iter()
                                .skip(start)
                                .take(PAGE)
                                .filter_map(|i| rows.get(*i).map(|(_, draw)| draw()))
                                .collect_view()
                        })
                    }}
                </tbody>
            </table>
        </div>
        {(total > PAGE).then(|| view! {
            <nav class="pager" aria-label=format!("Pages of {}", label.to_lowercase())>
                <button type="button" data-testid=format!("{testid}-previous")
                    disabled=move || page.get() == 0
                    on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                <span data-testid=format!("{testid}-shown") aria-live="polite">{move || {
                    let n = matching.with(Vec::len);
                    let start = page.get() * PAGE;
                    if n == 0 {
                        "No match".to_string()
                    } else {
                        format!("{}–{} of {n}", start + 1, (start + PAGE).min(n))
                    }
                }}</span>
                <button type="button" data-testid=format!("{testid}-next")
                    disabled=move || { (page.get() + 1) * PAGE >= matching.with(Vec::len) }
                    on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
            </nav>
        })}
    }
}
