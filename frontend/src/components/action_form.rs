//! A form that builds one command from a few fields and previews it live.
//!
//! Pages are rendered anew whenever the world changes (a command, a live event),
//! so what a user typed or chose, and the answer to their last submit, live in a
//! store owned by the app, keyed by the form, not in the rendered page.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use preflight_core::Command;

use crate::components::preview_panel::PreviewedCommand;
use crate::components::secret::Secret;

/// The answer to a form's last submit: (success, message).
pub type Notice = RwSignal<Option<(bool, String)>>;

/// A secret a form's last submit was answered with, shown once.
pub type Shown = RwSignal<Option<Secret>>;

/// The values and answers of every form, owned by the app.
#[derive(Clone, Copy)]
pub struct Forms {
    values: RwSignal<HashMap<String, String>>,
    notices: StoredValue<HashMap<String, Notice>>,
    secrets: StoredValue<HashMap<String, Shown>>,
    owner: StoredValue<Owner, LocalStorage>,
}

impl Forms {
    /// Creates the store under the current (app) owner and provides it.
    pub fn provide() {
        let forms = Forms {
            values: RwSignal::new(HashMap::new()),
            notices: StoredValue::new(HashMap::new()),
            secrets: StoredValue::new(HashMap::new()),
            owner: StoredValue::new_local(Owner::current().unwrap_or_default()),
        };
        provide_context(forms);
    }

    /// A field's value (empty when never set).
    pub fn get(self, form: &str, field: &str) -> String {
        self.values
            .with(|values| values.get(&format!("{form}/{field}")).cloned())
            .unwrap_or_default()
    }

    pub fn set(self, form: &str, field: &str, value: String) {
        self.values.update(|values| {
            values.insert(format!("{form}/{field}"), value);
        });
    }

    /// Empties the form (after its command was accepted: what was typed is done).
    pub fn clear(self, form: &str) {
        let prefix = format!("{form}/");
        self.values
            .update(|values| values.retain(|key, _| !key.starts_with(&prefix)));
    }

    /// The answer to the form's last submit, kept across renders.
    pub fn notice(self, form: &str) -> Notice {
        if let Some(signal) = self.notices.with_value(|n| n.get(form).copied()) {
            return signal;
        }
        let signal = self
            .owner
            .with_value(|owner| owner.with(|| RwSignal::new(None)));
        self.notices.update_value(|n| {
            n.insert(form.to_string(), signal);
        });
        signal
    }
}

impl Forms {
    /// The secret the form's last submit was answered with, kept across renders.
    pub fn secret(self, form: &str) -> Shown {
        if let Some(signal) = self.secrets.with_value(|n| n.get(form).copied()) {
            return signal;
        }
        let signal = self
            .owner
            .with_value(|owner| owner.with(|| RwSignal::new(None)));
        self.secrets.update_value(|n| {
            n.insert(form.to_string(), signal);
        });
        signal
    }
}

pub fn use_forms() -> Forms {
    expect_context::<Forms>()
}

/// One input of a form.
#[derive(Clone, Debug)]
pub enum Field {
    /// A choice among `(value, label)` options; the first one is preselected when
    /// `default` is empty and there is no "Choose…" placeholder.
    Select {
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String)>,
        placeholder: bool,
    },
    Text {
        name: &'static str,
        label: &'static str,
        placeholder: &'static str,
    },
}

impl Field {
    pub fn select(
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String)>,
    ) -> Field {
        Field::Select {
            name,
            label,
            options,
            placeholder: true,
        }
    }

    /// A select whose first option is chosen until the user picks another.
    pub fn choice(name: &'static str, label: &'static str, options: &[(&str, &str)]) -> Field {
        Field::Select {
            name,
            label,
            options: options
                .iter()
                .map(|(v, l)| (v.to_string(), l.to_string()))
                .collect(),
            placeholder: false,
        }
    }

    pub fn text(name: &'static str, label: &'static str, placeholder: &'static str) -> Field {
        Field::Text {
            name,
            label,
            placeholder,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Field::Select { name, .. } | Field::Text { name, .. } => name,
        }
    }

    fn default_value(&self) -> String {
        match self {
            Field::Select {
                options,
                placeholder: false,
                ..
            } => options.first().map(|(v, _)| v.clone()).unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// What a form's fields read as.
pub struct Values<'a> {
    forms: Forms,
    form: &'a str,
    fields: &'a [Field],
}

impl Values<'_> {
    /// The value of `name`, or `None` while it is empty.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = self.forms.get(self.form, name);
        let value = if value.is_empty() {
            self.fields
                .iter()
                .find(|f| f.name() == name)
                .map(Field::default_value)
                .unwrap_or_default()
        } else {
            value
        };
        (!value.trim().is_empty()).then_some(value)
    }
}

/// The hidden value that says the user has started filling in a form.
const ARMED: &str = "__armed";

/// Builds the command from the form's values; `None` while incomplete.
pub type Build = Arc<dyn Fn(&Values<'_>) -> Option<Command> + Send + Sync>;

/// A form of `fields` whose command is previewed as it is filled in and sent with
/// the preview the user saw. `form` names it uniquely (include the resource id).
/// Where core refuses the user the permission the form needs (`refused`, see
/// [`crate::pages::refusal`]), only its disabled button shows, with core's reason.
#[component]
pub fn ActionForm(
    form: String,
    fields: Vec<Field>,
    make: Build,
    submit_label: &'static str,
    #[prop(optional_no_strip)] refused: Option<String>,
    /// See [`PreviewedCommand`]: confirmed before it is sent.
    #[prop(optional)]
    destructive: bool,
) -> impl IntoView {
    let kind = form.split(':').next().unwrap_or(&form).to_string();
    if let Some(reason) = refused {
        let why = format!("{kind}-refused");
        return view! {
            <div class="action" data-testid=format!("action-{kind}")>
                <button type="button" disabled aria-describedby=why.clone()>{submit_label}</button>
                <p class="hint" id=why.clone() data-testid=why>{reason}</p>
            </div>
        }
        .into_any();
    }
    let forms = use_forms();
    let notice = forms.notice(&form);
    let secret = forms.secret(&form);
    let fields = Arc::new(fields);
    // A form whose command is complete without any input (no fields, or only
    // optional ones) is previewed once the user asks for it, not on arrival.
    let armed = {
        let form = form.clone();
        move || forms.get(&form, ARMED) == "1"
    };
    let make_start = Arc::clone(&make);
    let command = {
        let (form, fields, armed) = (form.clone(), Arc::clone(&fields), armed.clone());
        Signal::derive(move || {
            if !armed() {
                return None;
            }
            make(&Values {
                forms,
                form: &form,
                fields: &fields,
            })
        })
    };
    let inputs = fields
        .iter()
        .map(|field| {
            let id = format!("{form}-{}", field.name()).replace([':', '/'], "-");
            let testid = format!(
                "{}-{}",
                form.split(':').next().unwrap_or(&form),
                field.name()
            );
            let (key, name, default) = (form.clone(), field.name(), field.default_value());
            let value = move || {
                let value = forms.get(&key, name);
                if value.is_empty() {
                    default.clone()
                } else {
                    value
                }
            };
            let key = form.clone();
            let on_change = move |ev: leptos::ev::Event| {
                notice.set(None);
                secret.set(None);
                forms.set(&key, ARMED, "1".to_string());
                forms.set(&key, name, event_target_value(&ev));
            };
            match field {
                Field::Select {
                    label,
                    options,
                    placeholder,
                    ..
                } => {
                    let options = options
                        .iter()
                        .map(|(v, l)| view! { <option value=v.clone()>{l.clone()}</option> })
                        .collect_view();
                    view! {
                        <label for=id.clone()>{*label}</label>
                        <select id=id data-testid=testid prop:value=value on:change=on_change>
                            {placeholder.then(|| view! { <option value="">"Choose…"</option> })}
                            {options}
                        </select>
                    }
                    .into_any()
                }
                Field::Text {
                    label, placeholder, ..
                } => view! {
                    <label for=id.clone()>{*label}</label>
                    <input
                        id=id
                        type="text"
                        data-testid=testid
                        placeholder=*placeholder
                        prop:value=value
                        on:input=on_change
                    />
                }
                .into_any(),
            }
        })
        .collect_view();
    let start_kind = kind.clone();
    let done_form = form.clone();
    view! {
        <div class="action" data-testid=format!("action-{kind}")>
            <form class="form" data-testid=format!("{kind}-form") on:submit=|ev| ev.prevent_default()>
                {inputs}
            </form>
            {move || {
                let values = Values { forms, form: &form, fields: &fields };
                let ready = make_start(&values).is_some();
                (!armed() && ready).then(|| {
                    let form = form.clone();
                    view! {
                        <button type="button" class="ghost" data-testid=format!("{start_kind}-start")
                            on:click=move |_| forms.set(&form, ARMED, "1".to_string())>
                            {format!("{submit_label}…")}
                        </button>
                    }
                })
            }}
            <PreviewedCommand command notice submit_label secret destructive on_done=Callback::new(move |()| forms.clear(&done_form))/>
        </div>
    }
    .into_any()
}
