//! The customer create and edit forms, with the shared fields of both.

use crate::auth::pages::{use_auth, Protected};
use crate::auth::Role;
use crate::custom_fields::api::list_active_fields;
use crate::custom_fields::model::CustomField;
use crate::custom_fields::pages::custom_field_input;
use crate::customers::api::*;
use crate::customers::model::*;
use crate::customers::pages::customer_id_param;
use crate::error::AppError;
use crate::i18n::{t, Key};
use crate::ui::{field_error, ErrorNotice};
use crate::users::api::list_assignable_staff;
use crate::users::model::StaffMember;
use leptos::prelude::*;
use leptos_router::components::A;

/// The shared fields of the create and edit forms (`input[...]` names for the server fn).
#[component]
fn CustomerFields(
    initial: CustomerInput,
    staff: Vec<StaffMember>,
    fields: Vec<CustomField>,
    #[prop(into)] result: Signal<Option<AppError>>,
    may_change_tier: bool,
    may_reassign: bool,
) -> impl IntoView {
    let err = move || result.get();
    let text = |label: Key, field: &'static str, value: String, kind: &'static str| {
        view! {
            <label>
                {t(label)}
                <input type=kind name=format!("input[{field}]") value=value maxlength="200" />
            </label>
            {field_error(err, field)}
        }
    };
    let i = initial.clone();
    let staff_for_sm = staff.clone();
    view! {
        <fieldset class="grid-form">
            <label>
                {t(Key::Name)}
                <input name="input[name]" value=i.name.clone() required maxlength="200" data-testid="customer-name" />
            </label>
            {field_error(err, "name")}
            <label>
                {t(Key::Kind)}
                <select name="input[kind]">
                    <option value="person" selected=i.kind != "company">{t(Key::KindPerson)}</option>
                    <option value="company" selected=i.kind == "company">{t(Key::KindCompany)}</option>
                </select>
            </label>
            {text(Key::Email, "email", i.email.clone(), "email")}
            {text(Key::Phone, "phone", i.phone.clone(), "tel")}
            {text(Key::ExternalId, "external_id", i.external_id.clone(), "text")}
            {text(Key::Country, "country", i.country.clone(), "text")}
            {text(Key::Province, "province", i.province.clone(), "text")}
            {text(Key::City, "city", i.city.clone(), "text")}
            {text(Key::Address, "address", i.address.clone(), "text")}
            {text(Key::Industry, "industry", i.industry.clone(), "text")}
            {text(Key::CompanySize, "company_size", i.company_size.clone(), "text")}
            {text(Key::Gender, "gender", i.gender.clone(), "text")}
            {text(Key::BirthYear, "birth_year", i.birth_year.clone(), "text")}
            {text(Key::IncomeBand, "income_band", i.income_band.clone(), "text")}
            {text(Key::SourceChannel, "source_channel", i.source_channel.clone(), "text")}
            {text(Key::SourceCampaign, "source_campaign", i.source_campaign.clone(), "text")}
            {text(Key::SourceReferrer, "source_referrer", i.source_referrer.clone(), "text")}
            <label>
                {t(Key::Tags)}
                <input name="input[tags]" value=i.tags.clone() placeholder="vip, wholesale" />
            </label>
            {field_error(err, "tags")}
            <label>
                {t(Key::Groups)}
                <input name="input[groups]" value=i.groups.clone() data-testid="customer-groups" />
            </label>
            {field_error(err, "groups")}
            {fields.iter().map(|f| {
                let value = i.custom.get(&f.key).cloned().unwrap_or_default();
                custom_field_input(f, value, result)
            }).collect_view()}
            {if may_change_tier {
                view! {
                    <label>
                        {t(Key::Level)}
                        <select name="input[level]" data-testid="customer-level">
                            <option value="2" selected=i.level != "1">{t(Key::LevelStandard)}</option>
                            <option value="1" selected=i.level == "1">{t(Key::LevelKey)}</option>
                        </select>
                    </label>
                    {field_error(err, "level")}
                    <label>
                        {t(Key::Grade)}
                        <select name="input[grade]">
                            {Grade::ALL.into_iter().map(|g| view! {
                                <option value=g.as_str() selected=i.grade == g.as_str() || (i.grade.is_empty() && g == Grade::General)>{t(g.label())}</option>
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            } else {
                view! {
                    <input type="hidden" name="input[level]" value=i.level.clone() />
                    <input type="hidden" name="input[grade]" value=i.grade.clone() />
                }.into_any()
            }}
            {if may_reassign {
                view! {
                    <label>
                        {t(Key::Owner)}
                        <select name="input[owner_id]" data-testid="customer-owner">
                            <option value="">{t(Key::Myself)}</option>
                            {staff.into_iter().map(|s| { let v = s.id.to_string(); view! {
                                <option value=v.clone() selected=i.owner_id == v>{format!("{} ({})", s.name, s.email)}</option>
                            }}).collect_view()}
                        </select>
                    </label>
                    {field_error(err, "owner_id")}
                    <label>
                        {t(Key::ServiceManager)}
                        <select name="input[service_manager_id]">
                            <option value="">{t(Key::NoneChoice)}</option>
                            {staff_for_sm.into_iter().filter(|s| s.role == Role::Tier2Manager).map(|s| { let v = s.id.to_string(); view! {
                                <option value=v.clone() selected=i.service_manager_id == v>{s.name}</option>
                            }}).collect_view()}
                        </select>
                    </label>
                    {field_error(err, "service_manager_id")}
                }.into_any()
            } else {
                view! {
                    <input type="hidden" name="input[owner_id]" value=i.owner_id.clone() />
                    <input type="hidden" name="input[service_manager_id]" value=i.service_manager_id.clone() />
                }.into_any()
            }}
        </fieldset>
    }
}

#[component]
pub fn CustomerCreatePage() -> impl IntoView {
    view! { <Protected><CustomerCreate /></Protected> }
}

#[component]
fn CustomerCreate() -> impl IntoView {
    let auth = use_auth();
    let action = ServerAction::<CreateCustomer>::new();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let fields = Resource::new(|| (), |_| list_active_fields());
    view! {
        <section class="page">
            <h1>{t(Key::NewCustomer)}</h1>
            {move || result.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let staff = staff.await.unwrap_or_default();
                    let fields = fields.await.unwrap_or_default();
                    let user = auth.user.await.ok().flatten();
                    let may_set_tier = user
                        .as_ref()
                        .is_some_and(crate::auth::permissions::may_set_tier_on_create);
                    // The server lists only the staff this user may assign to: offer the
                    // choice when that is anyone but themselves.
                    let may_pick_owner = staff.iter().any(|s| user.as_ref().is_none_or(|u| s.id != u.id));
                    view! {
                        <ActionForm action=action attr:class="stack" attr:data-testid="customer-form">
                            <CustomerFields
                                initial=CustomerInput::default()
                                staff=staff
                                fields=fields
                                result=result
                                may_change_tier=may_set_tier
                                may_reassign=may_pick_owner
                            />
                            <button type="submit" class="primary">{t(Key::Save)}</button>
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn CustomerEditPage() -> impl IntoView {
    view! { <Protected><CustomerEdit /></Protected> }
}

#[component]
fn CustomerEdit() -> impl IntoView {
    let id = customer_id_param();
    let customer = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let fields = Resource::new(|| (), |_| list_active_fields());
    let action = ServerAction::<UpdateCustomer>::new();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <section class="page">
            <h1>{t(Key::EditCustomer)}</h1>
            {move || result.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match customer.await {
                        Ok(c) if c.may_edit => {
                            let staff = staff.await.unwrap_or_default();
                            let fields = fields.await.unwrap_or_default();
                            view! {
                                <ActionForm action=action attr:class="stack" attr:data-testid="customer-form">
                                    <input type="hidden" name="id" value=c.id.to_string() />
                                    <CustomerFields
                                        initial=c.to_input()
                                        staff=staff
                                        fields=fields
                                        result=result
                                        may_change_tier=c.may_change_tier
                                        may_reassign=c.may_reassign
                                    />
                                    <div class="actions">
                                        <button type="submit" class="primary">{t(Key::Save)}</button>
                                        <A href=format!("/customers/{}", c.id)>{t(Key::Cancel)}</A>
                                    </div>
                                </ActionForm>
                            }.into_any()
                        }
                        Ok(_) => view! { <ErrorNotice error=AppError::Forbidden /> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
