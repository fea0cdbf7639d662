//! The sign-up disclosure's inputs (spec `#request-permission-signup`):
//! which fields the RP asks for, and the client metadata GET that brings
//! the RP's privacy policy and terms links. Failures are not fatal.

use super::control::Control;
use super::fetch::{FetchRequest, FetchResult, RequestId};
use super::providers::{ProviderEntry, ProviderIx};
use super::trace::ResponseResult;
use super::{Answer, Flow};
use crate::idp::config::Checked;
use crate::idp::{client_metadata, icons};
use crate::profile::rules::{MetadataQuery, MetadataTiming};
use crate::urls::same_site;
use std::collections::BTreeSet;
use url::Url;

/// Waiting for the client metadata of the providers whose accounts are shown.
#[derive(Debug, Clone, Hash)]
pub(super) struct ClientMetadataStep {
    waiting: BTreeSet<RequestId>,
    then: AfterMetadata,
}

/// What follows the client metadata.
#[derive(Debug, Clone, Copy, PartialEq, Hash)]
pub(super) enum AfterMetadata {
    /// The chooser.
    Chooser,
    /// Chromium: the decision after the accounts (auto re-authentication
    /// or the chooser), which the metadata comes before.
    Decide,
}

impl Flow {
    /// Whether provider `i`'s client metadata is still to be asked for.
    pub(super) fn needs_client_metadata(&self, i: ProviderIx) -> bool {
        let p = &self.providers[i];
        let have = match self.rules.metadata_timing {
            MetadataTiming::FieldsOrFramed => p.metadata.is_some(),
            MetadataTiming::NewAccountsEachFetch => p.metadata_asked,
            MetadataTiming::Never => return false,
        };
        !have && self.wants_client_metadata(i)
    }

    /// Fetches the client metadata the chooser needs, then shows it.
    pub(super) fn fetch_client_metadata(&mut self, providers: Vec<ProviderIx>) {
        self.fetch_client_metadata_then(providers, AfterMetadata::Chooser)
    }

    /// Fetches the client metadata `providers` need, then goes on as `then` says.
    pub(super) fn fetch_client_metadata_then(&mut self, providers: Vec<ProviderIx>, then: AfterMetadata) {
        let mut waiting = BTreeSet::new();
        let mut requests = Vec::new();
        for i in providers {
            if !self.needs_client_metadata(i) {
                continue;
            }
            self.providers[i].metadata_asked = true;
            let Some(Checked::Valid(endpoint)) =
                self.providers[i].config.as_ref().and_then(|c| c.client_metadata_endpoint.clone())
            else {
                continue;
            };
            let url = self.client_metadata_url(i, endpoint.url().clone());
            let id = self.id();
            waiting.insert(id);
            requests.push(FetchRequest::client_metadata(id, i.get(), url, &self.rp_origin));
        }
        if waiting.is_empty() {
            return self.after_metadata(then);
        }
        // The step's label comes before its requests in the trace.
        self.transition(Control::ClientMetadata(ClientMetadataStep { waiting, then }));
        for request in requests {
            self.send(request);
        }
    }

    pub(super) fn on_client_metadata_response(&mut self, i: ProviderIx, answer: Answer, result: FetchResult) {
        let id = answer.id;
        let metadata = result.as_ref().ok().map(|r| client_metadata::parse(r, self.profile));
        answer.record(
            self,
            match &metadata {
                Some(Ok(_)) => ResponseResult::Accepted,
                Some(Err(r)) => ResponseResult::Rejected { problems: r.errors().cloned().collect() },
                None => ResponseResult::NetworkError {
                    reason: result.as_ref().err().map(|e| e.reason.clone()).unwrap_or_default(),
                },
            },
        );
        if let Some(Ok(m)) = metadata {
            // Chromium downloads the RP's icon with the pictures once the
            // client metadata is in (decisions A52).
            let icon = icons::chromium_choice_url(&m.value.icons, self.mode).filter(|_| self.rules.fetches_icons);
            self.providers[i].metadata = Some(super::digest::Digested::new(m.value));
            if let Some(url) = icon {
                self.fetch_image(i, url);
            }
        }
        if let Control::ClientMetadata(step) = &mut self.control {
            step.waiting.remove(&id);
            if step.waiting.is_empty() {
                let then = step.then;
                self.after_metadata(then);
            }
        }
    }

    fn after_metadata(&mut self, then: AfterMetadata) {
        match then {
            AfterMetadata::Chooser => self.show_chooser(),
            AfterMetadata::Decide => self.decide(),
        }
    }

    /// The fields the RP asks to share with provider `i`.
    pub(super) fn fields(&self, i: ProviderIx) -> Vec<&str> {
        // An absent list means the default disclosure (ambiguity A33:
        // engines apply the default everywhere).
        match &self.providers[i].request.fields {
            Some(fields) => fields.iter().map(String::as_str).collect(),
            None => vec!["name", "email", "picture"],
        }
    }

    /// `!self.fields(i).is_empty()`, without building the list.
    pub(super) fn has_fields(&self, i: ProviderIx) -> bool {
        self.providers[i].request.fields.as_ref().is_none_or(|f| !f.is_empty())
    }

    fn wants_client_metadata(&self, i: ProviderIx) -> bool {
        let fields_non_empty = self.has_fields(i);
        match self.rules.metadata_timing {
            MetadataTiming::FieldsOrFramed => fields_non_empty || !same_site(&self.rp.origin, &self.rp.embedder),
            MetadataTiming::NewAccountsEachFetch => {
                let new_account = match self.providers[i].entry() {
                    Some(ProviderEntry::Accounts(list)) => list.iter().any(|a| !self.is_returning(i, a)),
                    _ => false,
                };
                fields_non_empty && new_account
            }
            MetadataTiming::Never => false,
        }
    }

    fn client_metadata_url(&self, i: ProviderIx, mut url: Url) -> Url {
        let client_id = &self.providers[i].request.client_id;
        let cross_site = !same_site(&self.rp.origin, &self.rp.embedder);
        let embedder = &self.rp_embedder;
        match self.rules.metadata_query {
            // The spec concatenates the raw strings (ambiguity A20); the URL
            // parser still percent-encodes what a query cannot hold.
            MetadataQuery::Raw => {
                let mut q = format!("client_id={client_id}");
                if cross_site {
                    q.push_str(&format!("&top_level_origin={embedder}"));
                }
                url.set_query(Some(&q));
            }
            MetadataQuery::Encoded => {
                let mut s = url::form_urlencoded::Serializer::new(String::new());
                s.append_pair("client_id", client_id);
                if cross_site {
                    s.append_pair("top_frame_origin", embedder);
                }
                url.set_query(Some(&s.finish()));
            }
        }
        url
    }
}
