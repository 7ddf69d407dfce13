{{ examples_in_split('train') }}
