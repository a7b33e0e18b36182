// A minimal client: start `qa-lint server` for Markdown files and let it do the rest.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('qa-lint');
  const command = config.get('path', 'qa-lint');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const server = { command, args: ['server'], options: { cwd: folder } };
  client = new LanguageClient(
    'qa-lint',
    'qa-lint',
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: 'file', language: 'markdown' }],
      initializationOptions: { runAfterPauseMs: config.get('runAfterPauseMs', 1500) },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate };
