/**
 * The only module that touches `@vscode/webview-ui-toolkit` (deprecated upstream in January
 * 2025): the toolbar is built from these few functions, so moving to another component
 * library (e.g. @vscode-elements/elements) means rewriting this file alone.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodeTextField } from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeTextField());

export interface Control<T> {
  element: HTMLElement;
  setValue(value: T): void;
}

export function button(label: string, title: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'secondary'): HTMLElement {
  const element = document.createElement('vscode-button');
  element.textContent = label;
  element.title = title;
  element.setAttribute('appearance', appearance);
  element.addEventListener('click', onClick);
  return element;
}

/** A labelled choice; `onChange` gets the chosen value. */
export function dropdown<T extends string>(label: string, options: ReadonlyArray<{ value: T; label: string }>, onChange: (value: T) => void): Control<T> {
  const element = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  element.setAttribute('aria-label', label);
  element.title = label;
  for (const option of options) {
    const item = document.createElement('vscode-option') as HTMLElement & { value: string };
    item.setAttribute('value', option.value);
    item.textContent = option.label;
    element.append(item);
  }
  element.addEventListener('change', () => onChange(element.value as T));
  return {
    element,
    setValue: (value) => {
      element.value = value;
    },
  };
}

/** A text field that reports every edit. */
export function searchField(label: string, placeholder: string, onInput: (value: string) => void): Control<string> {
  const element = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  element.setAttribute('aria-label', label);
  element.setAttribute('placeholder', placeholder);
  element.addEventListener('input', () => onInput(element.value));
  return {
    element,
    setValue: (value) => {
      element.value = value;
    },
  };
}
