{{ examples_in_split('validation') }}
