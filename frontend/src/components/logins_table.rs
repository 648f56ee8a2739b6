use leptos::prelude::*;
use preflight_core::generate::DemoLogin;

/// The demo users one can sign in as, with their home environment and role.
#[component]
pub fn LoginsTable(logins: Vec<DemoLogin>, password: &'static str) -> impl IntoView {
    let n_logins = logins.len();
    view! {
        <p class="hint">
            {n_logins} " demo users; all share the password "
            <code data-testid="demo-password">{password}</code> "."
        </p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Table of demo logins">
            <table class="logins" data-testid="demo-logins">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Environment"</th>
                        <th scope="col">"Role"</th>
                    </tr>
                </thead>
                <tbody>
                    {logins
                        .into_iter()
                        .map(|login| {
                            view! {
                                <tr data-testid="demo-login">
                                    <td><code>{login.email}</code></td>
                                    <td>{login.name}</td>
                                    <td>{login.environment}</td>
                                    <td><span class="role">{login.role}</span></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
