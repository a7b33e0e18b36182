//! Work-done progress for runs: editors that support it show "qa-lint: running the examples
//! of FILE" while a run is going, since a run can take seconds and diagnostics only change
//! when it ends.

use lsp_server::{Message, Notification, Request};
use lsp_types::notification::{Notification as _, Progress as ProgressNotification};
use lsp_types::request::{Request as _, WorkDoneProgressCreate};
use lsp_types::{
    NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress, WorkDoneProgressBegin,
    WorkDoneProgressCreateParams, WorkDoneProgressEnd,
};

pub struct Progress {
    /// The client said it can show progress (`window.workDoneProgress`).
    enabled: bool,
    next: u64,
}

impl Progress {
    pub fn new(enabled: bool) -> Progress {
        Progress { enabled, next: 1 }
    }

    /// Show a new progress; its token, to [`Progress::end`] it with.
    pub fn begin(&mut self, out: &crossbeam_channel::Sender<Message>, what: &str) -> Option<String> {
        if !self.enabled {
            return None;
        }
        let token = format!("qa-lint-run-{}", self.next);
        self.next += 1;
        let create = WorkDoneProgressCreateParams {
            token: NumberOrString::String(token.clone()),
        };
        let req = Request::new(token.clone().into(), WorkDoneProgressCreate::METHOD.into(), create);
        let _ = out.send(req.into());
        let begin = WorkDoneProgress::Begin(WorkDoneProgressBegin {
            title: "qa-lint".into(),
            message: Some(format!("running the examples of {what}")),
            ..WorkDoneProgressBegin::default()
        });
        send(out, &token, begin);
        Some(token)
    }

    pub fn end(out: &crossbeam_channel::Sender<Message>, token: &str) {
        send(out, token, WorkDoneProgress::End(WorkDoneProgressEnd::default()));
    }
}

fn send(out: &crossbeam_channel::Sender<Message>, token: &str, value: WorkDoneProgress) {
    let params = ProgressParams {
        token: NumberOrString::String(token.to_string()),
        value: ProgressParamsValue::WorkDone(value),
    };
    let _ = out.send(Notification::new(ProgressNotification::METHOD.into(), params).into());
}
