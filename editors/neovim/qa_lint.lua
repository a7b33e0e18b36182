-- qa-lint language server for Neovim 0.11+ (built-in LSP client, no plugin needed).
-- Put this file in ~/.config/nvim/plugin/ (or require it from init.lua).
vim.lsp.config('qa_lint', {
  cmd = { 'qa-lint', 'server' },
  filetypes = { 'markdown' },
  -- The workspace root: where runs start and where the default .qa-lint-cache lives.
  root_markers = { 'qa-lint.toml', '.qa-lint.toml', 'pyproject.toml', '.git' },
  -- Also run the examples after 1.5 s without typing (0 or absent: on open and save only).
  init_options = { runAfterPauseMs = 1500 },
})
vim.lsp.enable('qa_lint')
