//! The customer's own cards on the customer page (`customer_page.rs`): profile and contacts.

use crate::customers::api::{AddContact, RemoveContact};
use crate::customers::model::Customer;
use crate::i18n::{t, use_i18n, Key};
use crate::ui::{field_error, format_time};
use leptos::prelude::*;

#[component]
pub fn ProfileCard(customer: Customer) -> impl IntoView {
    let c = customer;
    let lang = use_i18n().lang;
    let field = |label: Key, value: Option<String>| {
        view! {
            <div class="field"><dt>{t(label)}</dt><dd>{value.unwrap_or_else(|| "—".into())}</dd></div>
        }
    };
    view! {
        <section class="card">
            <h2>{t(Key::Profile)}</h2>
            <dl class="fields">
                {field(Key::Kind, Some(c.kind.label().text(lang.get_untracked()).to_string()))}
                {field(Key::Email, c.email.clone())}
                {field(Key::Phone, c.phone.clone())}
                {field(Key::ExternalId, c.external_id.clone())}
                {field(Key::Region, Some([c.country.clone(), c.province.clone(), c.city.clone()].into_iter().flatten().collect::<Vec<_>>().join(" / ")).filter(|s| !s.is_empty()))}
                {field(Key::Address, c.address.clone())}
                {field(Key::Industry, c.industry.clone())}
                {field(Key::CompanySize, c.company_size.clone())}
                {field(Key::Gender, c.gender.clone())}
                {field(Key::BirthYear, c.birth_year.map(|y| y.to_string()))}
                {field(Key::IncomeBand, c.income_band.clone())}
                {field(Key::SourceChannel, c.source_channel.clone())}
                {field(Key::SourceCampaign, c.source_campaign.clone())}
                {field(Key::SourceReferrer, c.source_referrer.clone())}
                {field(Key::Team, c.team_name.clone())}
                {field(Key::Groups, Some(c.groups.join(", ")).filter(|s| !s.is_empty()))}
                {c.custom.iter().map(|v| view! {
                    <div class="field" data-testid=format!("custom-value-{}", v.key)><dt>{v.label.clone()}</dt><dd>{v.value.clone()}</dd></div>
                }).collect_view()}
                {field(Key::Orders, Some(c.order_count.to_string()))}
                {field(Key::CreatedAt, Some(format_time(c.created_at)))}
                {field(Key::UpdatedAt, Some(format_time(c.updated_at)))}
            </dl>
            <div class="tags">
                {c.tags.iter().map(|tg| view! {
                    <span class="tag" style:border-color=tg.color.clone()>{tg.name.clone()}</span>
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
pub fn ContactsCard(
    customer: Customer,
    add: ServerAction<AddContact>,
    remove: ServerAction<RemoveContact>,
) -> impl IntoView {
    let c = customer;
    let cid = c.id;
    let may_edit = c.may_edit;
    let contact_result = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    view! {
        <section class="card">
            <h2>{t(Key::Contacts)}</h2>
            <ul class="contacts">
                {c.contacts.iter().cloned().map(|ct| view! {
                    <li>
                        <strong>{ct.name}</strong>
                        {ct.is_primary.then(|| view! { <span class="badge">{t(Key::Primary)}</span> })}
                        <span class="muted">{[ct.title, ct.email, ct.phone].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</span>
                        <Show when=move || may_edit>
                            <ActionForm action=remove attr:class="inline">
                                <input type="hidden" name="id" value=ct.id.to_string() />
                                <button type="submit" class="link-button">{t(Key::Remove)}</button>
                            </ActionForm>
                        </Show>
                    </li>
                }).collect_view()}
            </ul>
            <Show when=move || may_edit>
                // Open again when the contact was refused, to show why.
                <details open=move || contact_result.get().is_some()>
                    <summary>{t(Key::AddContact)}</summary>
                    <ActionForm action=add attr:class="stack compact">
                        <input type="hidden" name="customer" value=cid.to_string() />
                        <label>{t(Key::Name)}<input name="input[name]" maxlength="200" /></label>
                        {field_error(move || contact_result.get(), "contact_name")}
                        <label>{t(Key::Title)}<input name="input[title]" maxlength="200" /></label>
                        <label>{t(Key::Email)}<input type="email" name="input[email]" /></label>
                        {field_error(move || contact_result.get(), "contact_email")}
                        <label>{t(Key::Phone)}<input type="tel" name="input[phone]" /></label>
                        {field_error(move || contact_result.get(), "contact_phone")}
                        <label class="check"><input type="checkbox" name="input[is_primary]" />{t(Key::Primary)}</label>
                        <button type="submit">{t(Key::AddContact)}</button>
                    </ActionForm>
                </details>
            </Show>
        </section>
    }
}
