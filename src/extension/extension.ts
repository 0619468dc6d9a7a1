import * as vscode from 'vscode';
export function activate(): void {}
